#!/usr/bin/env bash
# Self-signed bootstrap of the readiness-gate webhook's certificate (no cert-manager needed).
#
# Creates a CA and a serving certificate for webhook-service.<namespace>.svc, writes them to the Secret
# `webhook-cert` (tls.crt, tls.key, ca.crt) that the controller mounts, and sets the MutatingWebhookConfiguration's
# caBundle. Run it once after `kubectl apply -k` of an install with the webhook component, and again to renew:
# the caBundle then holds the new CA and the previous one, so the API server trusts the old certificate until
# every replica has reloaded the new one (the controller watches the mounted files; no restart).
#
# Needs openssl and kubectl (current context, or KUBECONFIG). Settings (environment):
#   NAMESPACE (aws-application-networking-system)  SERVICE (webhook-service)  SECRET (webhook-cert)
#   WEBHOOK_CONFIGURATION (aws-appnet-gwc-mutating-webhook)  DAYS (3650)
#   EXTRA_SANS: more subjectAltName entries, e.g. "IP:127.0.0.1" (comma-separated)
set -euo pipefail

NAMESPACE=${NAMESPACE:-aws-application-networking-system}
SERVICE=${SERVICE:-webhook-service}
SECRET=${SECRET:-webhook-cert}
WEBHOOK_CONFIGURATION=${WEBHOOK_CONFIGURATION:-aws-appnet-gwc-mutating-webhook}
DAYS=${DAYS:-3650}
KUBECTL=${KUBECTL:-kubectl}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

host="$SERVICE.$NAMESPACE.svc"
sans="DNS:$host,DNS:$host.cluster.local${EXTRA_SANS:+,$EXTRA_SANS}"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$DAYS" \
  -subj "/CN=lattice-controller-webhook-ca" -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$host" \
  -keyout "$work/tls.key" -out "$work/tls.csr" 2>/dev/null
printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
  "$sans" >"$work/ext.cnf"
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
  -days "$DAYS" -extfile "$work/ext.cnf" -out "$work/tls.crt" 2>/dev/null

# Trust the previous CA too while replicas still serve the previous certificate.
cp "$work/ca.crt" "$work/bundle.crt"
if previous=$("$KUBECTL" -n "$NAMESPACE" get secret "$SECRET" -o 'jsonpath={.data.ca\.crt}' 2>/dev/null) \
  && [ -n "$previous" ]; then
  printf '%s' "$previous" | base64 -d | awk '/BEGIN CERT/{n++} n==1' >>"$work/bundle.crt"
fi

"$KUBECTL" -n "$NAMESPACE" create secret generic "$SECRET" \
  --from-file=tls.crt="$work/tls.crt" --from-file=tls.key="$work/tls.key" --from-file=ca.crt="$work/ca.crt" \
  --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
bundle=$(base64 <"$work/bundle.crt" | tr -d '\n')
"$KUBECTL" patch mutatingwebhookconfiguration "$WEBHOOK_CONFIGURATION" --type=json \
  -p "[{\"op\":\"add\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$bundle\"}]" >/dev/null
echo "webhook certificate for $host written to secret $NAMESPACE/$SECRET (valid $DAYS days); caBundle of $WEBHOOK_CONFIGURATION set"
