"""Request and answer bodies of the REST API, with OpenAPI examples."""
