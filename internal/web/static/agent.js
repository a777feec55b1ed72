// Agent console page: placeholder.
