"""Response models of the API, one module per resource: what each route promises to answer.

Rows come out of SQLAlchemy Core as mappings; these models are the allow-list of what leaves
the service (a column added to a table is not served until it is added here), and they give
the OpenAPI schema its types.
"""
