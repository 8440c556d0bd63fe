"""The HTTP edge: the request pipeline, routing, error tables, request helpers, serving."""
