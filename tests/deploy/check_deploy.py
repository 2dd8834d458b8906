#!/usr/bin/python3
"""Structural checks of deploy/ (no Docker engine or cluster exists here to run them):
every YAML/JSON file parses; compose, Dockerfile and Kubernetes manifests agree with the
worker's config table (`newsflow run --help`) and with each other; every metric the alerts and
the dashboard use is one the worker exports.

    /usr/bin/python3 tests/deploy/check_deploy.py SOURCE_DIR NEWSFLOW_BINARY
"""
import glob
import json
import os
import re
import subprocess
import sys

import yaml

src, binary = sys.argv[1], sys.argv[2]
deploy = os.path.join(src, "deploy")
errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)


help_text = subprocess.run([binary, "run", "--help"], capture_output=True, text=True,
                           check=True).stdout
config_env = set(re.findall(r"\bNEWSFLOW_[A-Z_]+\b", help_text))
check("NEWSFLOW_PG_URL" in config_env and "NEWSFLOW_HTTP_PORT" in config_env,
      "could not read the config table from --help")


def env_ok(name, where):
    if name.startswith("NEWSFLOW_KAFKA_"):
        return  # librdkafka pass-through
    check(name in config_env, "%s: %s is not a setting of the worker" % (where, name))


# Every YAML file parses.
docs = {}
for path in glob.glob(os.path.join(deploy, "**", "*.y*ml"), recursive=True):
    with open(path) as f:
        try:
            docs[os.path.relpath(path, deploy)] = list(yaml.safe_load_all(f))
        except yaml.YAMLError as e:
            errors.append("%s: %s" % (path, e))

# Compose.
compose = docs["docker-compose.yml"][0]
services = compose["services"]
for name in ("kafka", "postgres", "worker", "prometheus", "grafana"):
    check(name in services, "compose: no %s service" % name)
check("KRaft" in open(os.path.join(deploy, "docker-compose.yml")).read() or
      "controller" in str(services["kafka"]["environment"]), "compose: kafka not in KRaft mode")
check(services["kafka"]["image"].startswith("apache/kafka:"), "compose: not Apache Kafka")
check(services["postgres"]["image"].startswith("postgres:15"), "compose: not PostgreSQL 15")
worker = services["worker"]
check("ports" not in worker, "compose: worker publishes host ports (breaks --scale)")
check(worker["build"]["dockerfile"] == "deploy/Dockerfile", "compose: worker not built from deploy/Dockerfile")
for name in worker["environment"]:
    env_ok(name, "compose worker")
check(worker["environment"].get("NEWSFLOW_HTTP_PORT") == "9464", "compose: worker http port")
grace = int(worker["stop_grace_period"].rstrip("s"))
shutdown_s = int(worker["environment"]["NEWSFLOW_SHUTDOWN_TIMEOUT_MS"]) / 1000
check(grace > shutdown_s, "compose: stop_grace_period %ss <= drain bound %ss" % (grace, shutdown_s))
prom = docs["prometheus/prometheus.yml"][0]
job = [j for j in prom["scrape_configs"] if j["job_name"] == "newsflow"][0]
check(job["dns_sd_configs"][0]["names"] == ["worker"] and job["dns_sd_configs"][0]["port"] == 9464,
      "prometheus: does not discover every worker replica on 9464")
check("alerts.yml" in prom["rule_files"], "prometheus: alert rules not loaded")
partitions = re.search(r"articles\.raw:(\d+)", open(os.path.join(deploy, "docker-compose.yml")).read())
check(partitions is not None, "compose: articles.raw partition count not found")

# Dockerfile.
dockerfile = open(os.path.join(deploy, "Dockerfile")).read()
check(re.search(r"^FROM debian:12-slim AS build", dockerfile, re.M), "Dockerfile: no build stage")
check(len(re.findall(r"^FROM ", dockerfile, re.M)) == 2, "Dockerfile: not multi-stage")
user = re.findall(r"^USER (\S+)", dockerfile, re.M)
check(user and not user[-1].startswith(("root", "0")), "Dockerfile: runs as root")
check("HEALTHCHECK" in dockerfile and "/healthz" in dockerfile, "Dockerfile: no HEALTHCHECK on /healthz")
check(re.search(r"^EXPOSE 9464", dockerfile, re.M), "Dockerfile: port 9464 not exposed")

# Kubernetes.
k8s = {d["kind"]: d for name, ds in docs.items() if name.startswith("k8s/") for d in ds if d}
for kind in ("Deployment", "ConfigMap", "Secret", "PodDisruptionBudget", "ScaledObject",
             "ServiceMonitor", "Service"):
    check(kind in k8s, "k8s: no %s" % kind)
pod = k8s["Deployment"]["spec"]["template"]["spec"]
c = pod["containers"][0]
check(c["livenessProbe"]["httpGet"]["path"] == "/healthz", "k8s: liveness probe is not /healthz")
check(c["readinessProbe"]["httpGet"]["path"] == "/readyz", "k8s: readiness probe is not /readyz")
check(c["ports"][0]["containerPort"] == 9464, "k8s: container port is not 9464")
check(pod["securityContext"]["runAsNonRoot"] is True, "k8s: may run as root")
check("limits" in c["resources"] and "memory" in c["resources"]["limits"], "k8s: no memory limit")
cm = k8s["ConfigMap"]["data"]
for name in cm:
    env_ok(name, "k8s ConfigMap")
for name in k8s["Secret"]["stringData"]:
    env_ok(name, "k8s Secret")
check(pod["terminationGracePeriodSeconds"] > int(cm["NEWSFLOW_SHUTDOWN_TIMEOUT_MS"]) / 1000,
      "k8s: terminationGracePeriodSeconds does not cover the drain bound")
so = k8s["ScaledObject"]["spec"]
check(so["scaleTargetRef"]["name"] == k8s["Deployment"]["metadata"]["name"], "KEDA: wrong target")
check(partitions and so["maxReplicaCount"] <= int(partitions.group(1)),
      "KEDA: maxReplicaCount exceeds the input partitions")
trigger = so["triggers"][0]
check(trigger["type"] == "kafka" and trigger["metadata"]["consumerGroup"] == cm["NEWSFLOW_GROUP_ID"]
      and trigger["metadata"]["topic"] == cm["NEWSFLOW_INPUT_TOPIC"], "KEDA: trigger does not watch the worker's group/topic")
check(k8s["ServiceMonitor"]["spec"]["endpoints"][0]["port"] == k8s["Service"]["spec"]["ports"][0]["name"],
      "ServiceMonitor port is not the Service's")

# Metrics used by alerts and the dashboard exist in the worker's sources.
exported = set()
for path in glob.glob(os.path.join(src, "worker", "*.c")):
    exported |= set(re.findall(r'"(newsflow_[a-z_]+)', open(path).read()))
check(len(exported) > 20, "found only %d metric names in worker/" % len(exported))


def used(expr):
    return {re.sub(r"_(bucket|sum|count)$", "", m) if re.sub(r"_(bucket|sum|count)$", "", m) in exported else m
            for m in re.findall(r"\bnewsflow_[a-z_]+", expr)}


alerts = docs["prometheus/alerts.yml"][0]
for rule in alerts["groups"][0]["rules"]:
    for m in used(rule["expr"]):
        check(m in exported, "alert %s uses unknown metric %s" % (rule["alert"], m))
    check("runbook" in rule["annotations"], "alert %s has no runbook link" % rule["alert"])
    anchor = rule["alert"].lower()
    check(("### " + rule["alert"]) in open(os.path.join(deploy, "README.md")).read(),
          "alert %s has no runbook section (#%s)" % (rule["alert"], anchor))
dash = json.load(open(os.path.join(deploy, "grafana", "dashboards", "newsflow.json")))
for panel in dash["panels"]:
    for target in panel["targets"]:
        for m in used(target["expr"]):
            check(m in exported, "dashboard panel '%s' uses unknown metric %s" % (panel["title"], m))

if errors:
    print("\n".join("FAIL: " + e for e in errors))
    sys.exit(1)
print("deploy/: %d YAML files, compose, Dockerfile, %d k8s kinds, %d alerts, %d dashboard panels: OK"
      % (len(docs), len(k8s), len(alerts["groups"][0]["rules"]), len(dash["panels"])))
