"""The JSON API: `/api/v1/...` (v1.py, typed, with its OpenAPI document) and the first routes
under `/api/...` (legacy.py), kept with their shapes. Both render the same read models through
the same schemas (schemas.py) and list documents through the same query as the pages."""

V1_PREFIX = "/api/v1"
