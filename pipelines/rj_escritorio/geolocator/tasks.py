"""Tasks of the geolocator project."""
