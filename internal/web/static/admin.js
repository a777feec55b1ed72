// Admin portal page: placeholder.
