#!/usr/bin/env bash
# TLS for ftgate's admission webhook on clusters without cert-manager: makes a self-signed CA and
# a serving certificate for the webhook's Service, stores them in the Secret ftgate-webhook-tls
# (the pods mount it: deploy/kubernetes/base/deployment.yaml), and writes the CA into the caBundle
# of the ValidatingWebhookConfiguration ftgate, so the API server trusts the webhook.
#
#   deploy/scripts/webhook-tls.sh [--namespace ftgate] [--service ftgate] [--days 365] [--out DIR]
#
# Run it after `kubectl apply -k deploy/kubernetes/overlays/production` (the pods wait for the
# Secret; a later apply keeps the caBundle); run it again to renew, then
# `kubectl -n NAMESPACE rollout restart deployment/ftgate`. The CA key is
# left in --out (default: a new temporary directory, printed) and never sent to the cluster: keep
# it or delete it. KUBECTL names the kubectl to use (default: kubectl).
set -euo pipefail

namespace=ftgate service=ftgate days=365 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --namespace) namespace=$2; shift 2 ;;
    --service) service=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "webhook-tls.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$days" in ''|*[!0-9]*) echo "webhook-tls.sh: --days must be a whole number, got $days" >&2; exit 2 ;; esac
kubectl=${KUBECTL:-kubectl}
command -v openssl >/dev/null || { echo "webhook-tls.sh: openssl is needed" >&2; exit 1; }
out=${out:-$(mktemp -d)}
mkdir -p "$out"
umask 077
host="$service.$namespace.svc"

# The CA: signs the serving certificate; the API server trusts it through the caBundle.
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 \
  -days "$days" -subj "/CN=ftgate webhook CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$out/ca.key" -out "$out/ca.crt" 2>/dev/null
# The serving certificate, for the names the API server may use to reach the Service.
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -subj "/CN=$host" \
  -keyout "$out/tls.key" -out "$out/tls.csr" 2>/dev/null
cat > "$out/tls.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:$host,DNS:$host.cluster.local
EXT
openssl x509 -req -in "$out/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
  -days "$days" -sha256 -extfile "$out/tls.ext" -out "$out/tls.crt" 2>/dev/null
rm -f "$out/tls.csr" "$out/tls.ext" "$out/ca.srl"

# The Secret the pods mount (replaced if it exists).
"$kubectl" -n "$namespace" create secret tls ftgate-webhook-tls \
  --cert="$out/tls.crt" --key="$out/tls.key" --dry-run=client -o yaml | "$kubectl" apply -f -
# The CA in every webhook of the configuration.
ca_bundle=$(base64 < "$out/ca.crt" | tr -d '\n')
"$kubectl" patch validatingwebhookconfiguration ftgate --type=json \
  -p "[{\"op\": \"add\", \"path\": \"/webhooks/0/clientConfig/caBundle\", \"value\": \"$ca_bundle\"}]"
echo "webhook-tls.sh: Secret $namespace/ftgate-webhook-tls and the caBundle of ftgate written;" \
     "certificate for $host valid $days days; CA key in $out/ca.key" >&2
