"""Helper functions of the geolocator project."""
