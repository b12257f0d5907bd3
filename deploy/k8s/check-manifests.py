#!/usr/bin/env python3
"""Offline consistency checks of the Kubernetes manifests in deploy/k8s/.

There is no cluster on this machine, so nothing here is applied. This reads
the manifests (as rendered by "kubectl kustomize deploy/k8s" when kubectl is
there, else the files listed in kustomization.yaml) and checks what a typo
would silently break: selectors that match their pods, probes on the ports
the containers open, the gRPC health service names the binaries register,
references to ConfigMaps, Secrets and their keys, Pod Security "restricted"
settings, resources, PodDisruptionBudgets, and that redis-config.yaml is a
byte-for-byte copy of deploy/redis/*.conf.

    python3 deploy/k8s/check-manifests.py                      # Sentinel layout
    python3 deploy/k8s/check-manifests.py deploy/k8s-cluster   # Redis Cluster overlay

Needs PyYAML (Debian: python3-yaml).
"""
import os
import shutil
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REDIS_DIR = os.path.join(HERE, "..", "redis")
HEALTH_NAMES = {
    "convene-calendar": "convene.v1.CalendarService",
    "convene-attendance": "convene.v1.AttendanceService",
    "convene-notification": "convene.v1.NotificationService",
}

failures = []


def check(ok, message):
    print(("  ok    " if ok else "  FAIL  ") + message)
    if not ok:
        failures.append(message)


def load_documents(where):
    if shutil.which("kubectl"):
        rendered = subprocess.run(["kubectl", "kustomize", where], check=True,
                                  capture_output=True, text=True, timeout=120).stdout
        print("rendered with kubectl kustomize")
        return [d for d in yaml.safe_load_all(rendered) if d]
    if os.path.abspath(where) != HERE:
        print("an overlay needs kubectl kustomize, which is not here")
        sys.exit(1)
    with open(os.path.join(HERE, "kustomization.yaml")) as f:
        kustomization = yaml.safe_load(f)
    docs = []
    for name in kustomization["resources"]:
        with open(os.path.join(HERE, name)) as f:
            docs += [d for d in yaml.safe_load_all(f) if d]
    for d in docs:
        if d["kind"] != "Namespace":
            d["metadata"]["namespace"] = kustomization["namespace"]
    print("read the files (no kubectl)")
    return docs


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def main():
    where = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else HERE
    docs = load_documents(where)
    cluster = any(d["kind"] == "StatefulSet" and d["metadata"]["name"] == "redis-cluster"
                  for d in docs)
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    configmaps = {d["metadata"]["name"]: d for d in by_kind.get("ConfigMap", [])}
    secrets = {d["metadata"]["name"]: d for d in by_kind.get("Secret", [])}
    workloads = (by_kind.get("Deployment", []) + by_kind.get("StatefulSet", [])
                 + by_kind.get("Job", []))
    pod_labels = []

    print("== namespace")
    check(all(d["metadata"].get("namespace") == "convene"
              for d in docs if d["kind"] != "Namespace"),
          "every object is in the convene namespace")

    print("== workloads")
    for w in workloads:
        name = f'{w["kind"]} {w["metadata"]["name"]}'
        spec = w["spec"]
        tmpl = spec["template"]
        labels = tmpl["metadata"]["labels"]
        pod_labels.append((w["metadata"]["name"], labels, tmpl["spec"]))
        if w["kind"] != "Job":
            check(matches(spec["selector"]["matchLabels"], labels),
                  f"{name}: selector matches its pods")
        if w["kind"] == "Deployment":
            check(spec["replicas"] >= 3, f"{name}: {spec['replicas']} replicas")
        pod = tmpl["spec"]
        psc = pod.get("securityContext", {})
        check(psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) > 0,
              f"{name}: runs as a non-root numeric user")
        check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
              f"{name}: seccomp RuntimeDefault")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for t in spec.get("volumeClaimTemplates", []):
            volumes[t["metadata"]["name"]] = t
        for v in volumes.values():
            if "configMap" in v:
                check(v["configMap"]["name"] in configmaps,
                      f'{name}: ConfigMap {v["configMap"]["name"]} exists')
            if "secret" in v:
                sname = v["secret"]["secretName"]
                check(sname in secrets, f"{name}: Secret {sname} exists")
                keys = set(secrets.get(sname, {}).get("stringData", {})) | set(
                    secrets.get(sname, {}).get("data", {}))
                for item in v["secret"].get("items", []):
                    check(item["key"] in keys, f'{name}: Secret key {item["key"]} exists')
                mode = v["secret"].get("defaultMode", 0o644)
                check(mode & 0o040 == 0 or "fsGroup" in psc,
                      f"{name}: secret files readable by the pod's user (fsGroup set)")
        tpl_term = pod.get("terminationGracePeriodSeconds", 30)
        for c in pod["containers"]:
            cname = f'{name}/{c["name"]}'
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            sc = c.get("securityContext", {})
            check(sc.get("allowPrivilegeEscalation") is False
                  and sc.get("capabilities", {}).get("drop") == ["ALL"]
                  and sc.get("readOnlyRootFilesystem") is True,
                  f"{cname}: no privilege escalation, no capabilities, read-only root")
            res = c.get("resources", {})
            check(all(k in res.get(s, {}) for s in ("requests", "limits") for k in ("cpu", "memory")),
                  f"{cname}: cpu and memory requests and limits")
            for m in c.get("volumeMounts", []):
                check(m["name"] in volumes, f'{cname}: volume {m["name"]} is defined')
            for probe_kind in (() if w["kind"] == "Job" else ("readinessProbe", "livenessProbe")):
                probe = c.get(probe_kind)
                check(probe is not None, f"{cname}: has a {probe_kind}")
                if not probe:
                    continue
                if "grpc" in probe:
                    check(probe["grpc"]["port"] in ports.values(),
                          f'{cname}: {probe_kind} gRPC port {probe["grpc"]["port"]} is a container port')
                    service = probe["grpc"].get("service", "")
                    want = HEALTH_NAMES.get(w["metadata"]["name"])
                    check(service in ("", want),
                          f'{cname}: {probe_kind} asks health of "{service}"')
                if "tcpSocket" in probe:
                    check(probe["tcpSocket"]["port"] in ports or probe["tcpSocket"]["port"] in ports.values(),
                          f"{cname}: {probe_kind} tcp port is a container port")
            if w["metadata"]["name"] in HEALTH_NAMES:
                check(c["readinessProbe"].get("grpc", {}).get("service") == HEALTH_NAMES[w["metadata"]["name"]],
                      f"{cname}: readiness asks for {HEALTH_NAMES[w['metadata']['name']]}")
                args = c.get("args", [])
                grace = [a for a in args if a.startswith("--shutdown_grace=")]
                check(bool(grace), f"{cname}: sets --shutdown_grace")
                if grace:
                    seconds = int(grace[0].split("=")[1].rstrip("s"))
                    check(tpl_term > seconds + 5, f"{cname}: terminationGracePeriodSeconds {tpl_term} > "
                          f"preStop 5 s + --shutdown_grace {seconds} s")
                if cluster:
                    check(any(a.startswith("--redis=redis-cluster://redis-cluster-") for a in args),
                          f"{cname}: reaches the Redis Cluster through its seeds")
                    check("--redis_wait_replicas=1" in args, f"{cname}: writes wait for a replica")
                    if w["metadata"]["name"] == "convene-notification":
                        check("--reminder_shards=3" in args,
                              f"{cname}: one reminder shard per primary")
                else:
                    check(any(a.startswith("--redis=redis-sentinel://") for a in args),
                          f"{cname}: finds Redis through the Sentinels")
                check(args[0] == "--listen=0.0.0.0:50051", f"{cname}: listens on 50051")

    print("== services")
    for s in by_kind.get("Service", []):
        sel = s["spec"]["selector"]
        targets = [(n, l, p) for n, l, p in pod_labels if matches(sel, l)]
        check(bool(targets), f'Service {s["metadata"]["name"]}: selects pods')
        for port in s["spec"]["ports"]:
            tp = port.get("targetPort", port["port"])
            for n, _, p in targets:
                names = {pp.get("name") for c in p["containers"] for pp in c.get("ports", [])}
                nums = {pp["containerPort"] for c in p["containers"] for pp in c.get("ports", [])}
                check(tp in names or tp in nums, f'Service {s["metadata"]["name"]}: port {tp} exists on {n}')
    for n, _, _ in pod_labels:
        if n.startswith("convene-"):
            heads = [s for s in by_kind["Service"] if s["metadata"]["name"] == n + "-headless"]
            check(len(heads) == 1 and heads[0]["spec"].get("clusterIP") == "None",
                  f"{n}: has a headless Service for client-side balancing")

    print("== disruption budgets")
    for n, labels, _ in pod_labels:
        if n.endswith("-create"):
            continue  # a Job
        pdbs = [p for p in by_kind.get("PodDisruptionBudget", [])
                if matches(p["spec"]["selector"]["matchLabels"], labels)]
        check(len(pdbs) == 1, f"{n}: one PodDisruptionBudget")

    print("== redis-config.yaml is deploy/redis/*.conf")
    cm = configmaps.get("convene-redis-config", {}).get("data", {})
    for f in ("redis.conf", "replication.conf", "sentinel.conf", "cluster.conf"):
        with open(os.path.join(REDIS_DIR, f)) as fh:
            check(cm.get(f) == fh.read(), f"{f} matches (else run deploy/k8s/sync-redis-config.sh)")

    print("== secret placeholders")
    for k, v in secrets.get("convene-redis-passwords", {}).get("stringData", {}).items():
        check(" " in v, f"{k} is a placeholder render-secrets.sh refuses, not a password")

    if cluster:
        print("== Redis Cluster")
        sts = [d for d in by_kind["StatefulSet"] if d["metadata"]["name"] == "redis-cluster"][0]
        check(sts["spec"]["replicas"] == 6, "six nodes: three primaries with a replica each")
        job = [d for d in by_kind.get("Job", []) if d["metadata"]["name"] == "redis-cluster-create"]
        check(len(job) == 1, "a Job creates the cluster")
        if job:
            env = {e["name"]: e.get("value", "") for e in job[0]["spec"]["template"]["spec"]["containers"][0]["env"]}
            nodes = env.get("CLUSTER_NODES", "").split()
            check(nodes == [f"redis-cluster-{i}.redis-cluster:6379" for i in range(6)],
                  "the Job names every node by its stable DNS name")
        keys = set(secrets.get("convene-redis-passwords", {}).get("stringData", {}))
        check("cluster-admin-password" in keys, "the Secret has the clusteradmin password")
        check(not any(d["kind"] == "StatefulSet" and d["metadata"]["name"] in ("redis", "redis-sentinel")
                      for d in docs), "no Sentinel layout left over")
        pols = [p for p in by_kind.get("NetworkPolicy", []) if p["metadata"]["name"] == "redis-cluster"]
        ports = {pp["port"] for p in pols for r in p["spec"]["ingress"] for pp in r["ports"]}
        check(ports == {6379, 16379}, "a NetworkPolicy opens 6379 and the cluster bus 16379")

    print(f"== {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
