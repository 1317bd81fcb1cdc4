"""REST API v1: routers, permissions, pagination, throttling and the KPI endpoints."""
