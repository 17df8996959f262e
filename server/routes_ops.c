/*
 * routes_ops.c - GET /healthz (the process answers; no database), GET /readyz
 * (the database answers) for load balancers and orchestrators, and
 * GET /openapi.yaml (the API description, compiled in from docs/).
 */
#include "db/db.h"
#include "server/routes.h"

static void send_static(request *r, int code, const char *json)
{
    strbuf b;
    sb_init(&b);
    sb_puts(&b, json);
    http_send_json(r, code, &b, code == 503 ? "Retry-After: 1\r\n" : NULL);
    sb_free(&b);
}

void route_healthz(request *r)
{
    send_static(r, 200, "{\"status\":\"ok\"}");
}

void route_readyz(request *r)
{
    if (db_ping() == ST_OK)
        send_static(r, 200, "{\"status\":\"ready\"}");
    else
        send_static(r, 503, "{\"status\":\"unavailable\",\"error\":\"database_unavailable\","
                            "\"message\":\"The database does not answer\"}");
}

extern const char openapi_yaml[];
extern const unsigned long openapi_yaml_len;

void route_openapi(request *r)
{
    http_send(r, 200, "application/yaml", openapi_yaml, openapi_yaml_len, NULL);
}
