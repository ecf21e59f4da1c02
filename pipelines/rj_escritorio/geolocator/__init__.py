"""Geolocator: the 1746 service calls placed in their bairros."""
