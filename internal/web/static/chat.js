// Chat page: placeholder.
