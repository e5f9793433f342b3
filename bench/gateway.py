"""Gateway benchmark: an authenticated, metered, watermarked product call against a bare Django
view returning the same JSON (the floor), served by the same multi-process server in one run.

    make bench            # or: .venv/bin/python bench/gateway.py [--seconds 10]

Server: gunicorn, 2 worker processes × 8 threads (gthread, keep-alive), PostgreSQL (the
production database; DATABASE_URL overrides, default postgres://postgres@127.0.0.1:5432) and
Redis for the rate-limit counters when reachable (else local memory). The data are the demo
datasets at --scale, seeded by `seed_demo`; the product is DEMO-DEID's 病种结算明细, asked for
100 de-identified records, so every call authenticates the bearer token, checks subscription,
access decision, rate limit, parameters and quotas, reuses the released answer, embeds the
recipient's watermark, writes the delivery record and answers.

Clients: one keep-alive HTTP connection each (http.client), in threads of a separate process,
at 1, 16 and 64 concurrent clients. Prints requests/s and p50/p99 latency for both endpoints
and the ratios; writes bench/results/gateway.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PORT = 8765


def run(cmd, env, **kw):
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kw)


def redis_url() -> str:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return "redis://127.0.0.1:6379/7"
    except OSError:
        return ""


def database_url(workdir: Path) -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pdao_bench_gateway")
    if url.startswith("postgres"):
        parsed = urllib.parse.urlparse(url)
        name = parsed.path.lstrip("/")
        admin = parsed._replace(path="/postgres").geturl()
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    return url


SETUP = """
from datetime import timedelta
from django.utils import timezone
from pdao.accounts.models import User
from pdao.products import services
from pdao.products.models import PricePlan, Product, Subscription
user = User.objects.get(username="consumer2")
product = Product.objects.get(authorization__code="DEMO-DEID", status="listed")
PricePlan.objects.filter(product=product).update(
    rate_per_minute=10**9, calls_per_month=0, rows_per_month=0)
type(product.authorization).objects.filter(pk=product.authorization_id).update(monthly_calls=0)
credential, secret = services.create_credential(by=user, name="bench")
print(json.dumps({"product": product.code, "client_id": credential.application.client_id,
                  "secret": secret}))
"""


def token(base: str, client_id: str, secret: str) -> str:
    data = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    ).encode()
    with urllib.request.urlopen(f"{base}/gateway/oauth/token", data=data, timeout=10) as r:  # noqa: S310
        return json.loads(r.read())["access_token"]


def load(path: str, body: bytes, headers: dict, clients: int, seconds: float) -> dict:
    """`clients` threads, each on its own keep-alive connection, POSTing for `seconds`."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        mine = []
        while time.perf_counter() < stop:
            start = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                ok = False
            if ok:
                mine.append(time.perf_counter() - start)
            else:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "errors": errors[0],
        "rps": len(latencies) / elapsed,
        "p50_ms": pct(0.50) if latencies else None,
        "p99_ms": pct(0.99) if latencies else None,
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else None,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--rows", type=int, default=100)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pdao-bench-gw-"))
    cache = redis_url()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.floor_settings",
        "PDAO_SECRET_KEY": "bench-only-" + "x" * 40,
        "PDAO_DATA_DIR": str(workdir / "data"),
        "DATABASE_URL": database_url(workdir),
        "PDAO_DEMO": "true",
        "PDAO_HTTPS": "false",
        "PDAO_DEBUG": "false",
        "PDAO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PDAO_DELIVERY_BATCH_SIZE": "1000",
        "PYTHONPATH": str(ROOT),
    }
    if cache:
        env["PDAO_CACHE_URL"] = cache
    print(f"seeding the demo (scale {args.scale:.3f}) …", flush=True)
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    run([PYTHON, "manage.py", "seed_demo", "--password", "Bench-0nly-pass", "--scale",
         str(args.scale)], env, stdout=subprocess.DEVNULL)  # fmt: skip
    made = run([PYTHON, "manage.py", "shell", "-c", "import json\n" + SETUP], env,
               capture_output=True, text=True)  # fmt: skip
    info = json.loads(made.stdout.strip().splitlines()[-1])

    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "bench.floor_wsgi:application", "--bind",
         f"127.0.0.1:{PORT}", "--workers", "2", "--worker-class", "gthread", "--threads", "8",
         "--keep-alive", "30", "--log-level", "warning"],
        env=env, cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        access = token(base, info["client_id"], info["secret"])
        headers = {"Authorization": f"Bearer {access}", "Content-Type": "application/json"}
        body = json.dumps({"params": {"disease": "糖尿病", "n": args.rows}}).encode()
        path = f"/gateway/v1/products/{info['product']}"
        first = urllib.request.Request(base + path, data=body, headers=headers)  # noqa: S310
        answer = json.loads(urllib.request.urlopen(first, timeout=30).read())  # noqa: S310
        assert answer["watermarked"], answer
        rows = answer["row_count"]
        # The floor serves this very body from a bare view.
        floor_body = json.dumps({k: v for k, v in answer.items() if k != "trace_id"}).encode()
        Path(env["PDAO_DATA_DIR"], "floor.json").write_bytes(floor_body)
        results = {}
        for clients in (1, 16, 64):
            load(path, body, headers, clients, 1.0)  # warm every thread's connection
            product = load(path, body, headers, clients, args.seconds)
            floor = load("/bench/floor", body, {"Content-Type": "application/json"}, clients,
                         args.seconds)  # fmt: skip
            results[clients] = {"product": product, "floor": floor}
            print(
                f"{clients:>3} clients  product {product['rps']:8.1f} req/s  "
                f"p50 {product['p50_ms']:7.1f} ms  p99 {product['p99_ms']:7.1f} ms  "
                f"({product['errors']} errors)  |  floor {floor['rps']:8.1f} req/s  "
                f"p50 {floor['p50_ms']:6.1f} ms  p99 {floor['p99_ms']:6.1f} ms  |  "
                f"throughput ratio {floor['rps'] / product['rps']:5.1f}×",
                flush=True,
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    import django

    django_version = django.get_version()
    out = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "django": django_version,
        "database": env["DATABASE_URL"].split(":", 1)[0],
        "cache": "redis" if cache else "locmem",
        "rows_per_call": rows,
        "seconds_per_level": args.seconds,
        "results": results,
    }
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "gateway.json").write_text(json.dumps(out, indent=2))
    print(f"rows per call: {rows}; database: {out['database']}; cache: {out['cache']}")


if __name__ == "__main__":
    main()
