"""The Grafana dashboard's queries against a real Prometheus scraping a real
neurofeatd under a bounded mixed workload.

Starts neurofeatd (loopback, free ports, its RocksDB cache, a small memory
budget so that one request is refused) and Debian's prometheus with the
rules in deploy/prometheus/rules, runs extracts (ok, cached, missing file,
truncated file), preprocesses (ok, too large) through the CLI, then sends
every panel query and every template-variable query of
deploy/grafana/neurofeat-dashboard.json, with Grafana's variables
substituted, to /api/v1/query: each must return at least one series. The
recording rules must produce series too.

  python3 dashboard_queries_test.py BUILD_DIR SOURCE_DIR
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


def query(prom, expr):
    url = f"http://127.0.0.1:{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        body = get_json(url)
    except urllib.error.HTTPError as e:
        raise SystemExit(f"query failed: {expr}: {e.read().decode()}")
    if body.get("status") != "success":
        raise SystemExit(f"query failed: {expr}: {body}")
    return body["data"]["result"]


def main():
    build, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    cli = os.path.join(build, "client/cli/neurofeat")
    daemon = os.path.join(build, "server/neurofeatd")
    work = tempfile.mkdtemp(prefix="nf-dash-")
    procs = []
    try:
        data = os.path.join(work, "data")
        os.mkdir(data)
        subprocess.run([cli, "generate", "--output", f"{data}/rec.npy", "--duration", "2s"],
                       check=True, stdout=subprocess.DEVNULL)
        with open(f"{data}/rec.npy", "rb") as f:
            head = f.read(200000)
        with open(f"{data}/truncated.npy", "wb") as f:
            f.write(head)
        shutil.copy(os.path.join(source, "tests/data/eegdash/howto_X_rows.npy"), f"{data}/howto.npy")

        server = subprocess.Popen(
            [daemon, "--listen", "127.0.0.1:0", "--port-file", f"{work}/port",
             "--metrics-listen", "127.0.0.1:0", "--metrics-port-file", f"{work}/mport",
             "--data-root", data, "--cache-dir", f"{work}/cache", "--memory-budget", "48MiB",
             "--drain-notice", "0s"],
            stdout=open(f"{work}/server.log", "w"), stderr=subprocess.STDOUT)
        procs.append(server)
        wait_for("neurofeatd", lambda: os.path.getsize(f"{work}/mport") > 0
                 and os.path.getsize(f"{work}/port") > 0)
        port = open(f"{work}/port").read().strip()
        mport = open(f"{work}/mport").read().strip()
        instance = f"127.0.0.1:{mport}"

        prom = free_port()
        rules = os.path.join(source, "deploy/prometheus/rules")
        with open(f"{work}/prometheus.yml", "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["{rules}/recording.yml", "{rules}/alerts.yml"]
scrape_configs:
  - job_name: neurofeat
    static_configs: [{{targets: ["{instance}"]}}]
""")
        promd = subprocess.Popen(
            ["prometheus", f"--config.file={work}/prometheus.yml",
             f"--storage.tsdb.path={work}/tsdb", f"--web.listen-address=127.0.0.1:{prom}"],
            stdout=open(f"{work}/prometheus.log", "w"), stderr=subprocess.STDOUT)
        procs.append(promd)
        wait_for("prometheus to scrape neurofeatd",
                 lambda: any(r["value"][1] == "1" for r in query(prom, 'up{job="neurofeat"}')))

        server_flag = ["--server", f"127.0.0.1:{port}", "--quiet"]
        howto = ["extract", "--remote-path", "howto.npy", "--fs", "128",
                 "--channels", "O1,Oz,O2,Cz,Pz,POz",
                 "--pipeline", os.path.join(source, "examples/eegdash_howto.json")]
        pre = ["preprocess", "--remote-path", "rec.npy", "--fs", "30000",
               "--pipeline", os.path.join(source, "examples/spikeinterface_preprocess.json")]
        # (arguments, must succeed)
        workload = [
            (howto + ["--output", f"{work}/a.csv"], True),
            (howto + ["--output", f"{work}/b.csv"], True),   # from the cache
            (["extract", "--remote-path", "missing.npy", "--fs", "128",
              "--pipeline", os.path.join(source, "examples/eegdash_howto.json"),
              "--output", f"{work}/c.csv"], False),
            (["extract", "--remote-path", "truncated.npy", "--fs", "30000",
              "--pipeline", os.path.join(source, "examples/eegdash_howto.json"),
              "--output", f"{work}/d.csv"], False),
            (pre + ["--chunk-duration", "100ms", "--output", f"{work}/e.npy"], True),
            (pre + ["--chunk-duration", "2s", "--output", f"{work}/f.npy"], False),  # too large
            # A deadline shorter than the work: a server-side code.
            (pre + ["--chunk-duration", "100ms", "--timeout", "30ms", "--output", f"{work}/g.npy"],
             False),
        ]
        start = time.monotonic()
        for _ in range(2):
            for args, ok in workload:
                r = subprocess.run([cli] + args + server_flag, capture_output=True, text=True,
                                   timeout=120)
                if (r.returncode == 0) != ok:
                    raise SystemExit(f"{args}: exit {r.returncode}: {r.stderr}")
            time.sleep(2)
        print(f"workload: {time.monotonic() - start:.1f} s")
        # Two more scrapes and rule evaluations after the last request.
        time.sleep(3)

        dash = json.load(open(os.path.join(source, "deploy/grafana/neurofeat-dashboard.json")))
        subst = {"$job": "neurofeat", "$instance": instance.replace(".", "\\\\."),
                 "$__rate_interval": "1m", "${datasource}": "prometheus"}

        def substitute(expr):
            for k in sorted(subst, key=len, reverse=True):
                expr = expr.replace(k, subst[k])
            return expr

        failures = []
        checked = 0
        for var in dash["templating"]["list"]:
            if var["type"] != "query":
                continue
            q = substitute(var["query"]["query"])
            m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", q)
            if not m:
                failures.append(f"variable {var['name']}: unsupported query {q}")
                continue
            result = query(prom, m.group(1))
            values = {r["metric"].get(m.group(2)) for r in result} - {None}
            checked += 1
            if not values:
                failures.append(f"variable {var['name']}: {q} has no values")
        for panel in dash["panels"]:
            for target in panel["targets"]:
                q = substitute(target["expr"])
                checked += 1
                if not query(prom, q):
                    failures.append(f"panel '{panel['title']}' {target['refId']}: no series: {q}")
        for group in ("recording",):
            import yaml  # Debian's python3-yaml
            doc = yaml.safe_load(open(os.path.join(rules, f"{group}.yml")))
            for rule in doc["groups"][0]["rules"]:
                checked += 1
                if not query(prom, rule["record"]):
                    failures.append(f"recording rule {rule['record']}: no series")
        # A mixed workload must not trip the alerts meant for outages.
        for alert in query(prom, 'ALERTS{alertstate="firing"}'):
            if alert["metric"]["alertname"] in ("NeurofeatInstanceDown", "NeurofeatCacheDown"):
                failures.append(f"alert firing: {alert['metric']}")
        print(f"{checked} queries checked against Prometheus")
        if failures:
            print("\n".join(failures))
            for r in query(prom, "neurofeat_requests_total"):
                print(r["metric"], r["value"][1])
            print(json.dumps(get_json(f"http://127.0.0.1:{prom}/api/v1/rules"))[:3000])
            print(open(f"{work}/server.log").read()[-3000:])
            print(open(f"{work}/prometheus.log").read()[-3000:])
            return 1
        return 0
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
