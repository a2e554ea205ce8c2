#!/bin/sh
# An Active-Active script as public Ansible roles, Terraform helpers and tutorials write it for
# `docker exec` / `kubectl exec` on a cluster node: create, wait, add an instance, remove it,
# delete. It knows nothing of the emulator: it reads crdb-cli's documented output only.
# Run by test/crdb-cli/e2e/public-script.test.ts and, inside the image, by scripts/test-docker.sh.
set -eu

created=$(crdb-cli crdb create --name shop --memory-size 1GB --port 12000 \
  --instance fqdn=cluster1.redis.local,username=admin@redis.local,password=admin \
  --instance fqdn=cluster2.redis.local,username=admin@redis.local,password=admin)
echo "$created"
guid=$(echo "$created" | sed -n 's/.*CRDB GUID Assigned: crdb://p')
[ -n "$guid" ] || { echo "no GUID in the output of crdb create" >&2; exit 1; }
echo "$created" | grep -q 'Status changed: started -> finished' || { echo "the create did not finish" >&2; exit 1; }

crdb-cli crdb add-instance --crdb-guid "$guid" \
  --instance fqdn=cluster3.redis.local,username=admin@redis.local,password=admin
id=$(crdb-cli crdb list | awk -v g="$guid" '$1 == g && $4 == "cluster3.redis.local" { print $3 }')
[ -n "$id" ] || { echo "cluster3 is not in crdb list" >&2; exit 1; }

crdb-cli crdb remove-instance --crdb-guid "$guid" --instance-id "$id"
crdb-cli crdb delete --crdb-guid "$guid"
if crdb-cli crdb get --crdb-guid "$guid" >/dev/null 2>&1; then echo "the CRDB is still there" >&2; exit 1; fi
crdb-cli task list
echo "public-style script done: $guid"
