"""Internal ops endpoints (Prometheus metrics, liveness) on a separate port.

Run with `python -m app.admin_server`; not exposed outside the cluster.
"""

import json
import os
import time
from datetime import date

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app import analytics

STARTED = time.time()


@Request.application
def metrics_app(request: Request) -> Response:
    if request.path == "/metrics":
        lines = [
            f"shoplens_uptime_seconds {time.time() - STARTED:.0f}",
            f'shoplens_events_total{{kind="checkout.completed"}} '
            f"{analytics.count_events('checkout.completed', date.today())}",
        ]
        return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")
    return Response(status=404)


@Request.application
def health_app(request: Request) -> Response:
    body = {"status": "ok", "pid": os.getpid(), "uptime": round(time.time() - STARTED)}
    return Response(json.dumps(body), mimetype="application/json")


def serve_metrics(host: str = "0.0.0.0", port: int = 9102) -> None:
    server = make_server(host, port, metrics_app, threaded=False)
    server.serve_forever()


def serve_health(host: str = "0.0.0.0", port: int = 9103) -> None:
    server = make_server(host, port, health_app, threaded=True)
    server.serve_forever()


if __name__ == "__main__":
    import threading

    threading.Thread(target=serve_health, daemon=True).start()
    serve_metrics()
