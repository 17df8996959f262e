/*
 * routes_ops.c - GET /healthz (the process answers; no database), GET /readyz
 * (the database answers) for load balancers and orchestrators, and
 * GET /openapi.yaml (the API description, compiled in from docs/).
 */
#include "db/db.h"
#include "server/routes.h"

void route_healthz(request *r)
{
    http_send_literal(r, 200, "{\"status\":\"ok\"}", NULL);
}

void route_readyz(request *r)
{
    if (db_ping() == ST_OK)
        http_send_literal(r, 200, "{\"status\":\"ready\"}", NULL);
    else
        http_send_literal(r, 503,
                          "{\"status\":\"unavailable\",\"error\":\"database_unavailable\","
                          "\"message\":\"The database does not answer\"}",
                          "Retry-After: 1\r\n");
}

extern const char openapi_yaml[];
extern const unsigned long openapi_yaml_len;

void route_openapi(request *r)
{
    http_send(r, 200, "application/yaml", openapi_yaml, openapi_yaml_len, NULL);
}
