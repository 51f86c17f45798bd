#!/usr/bin/env bash
# make_certs.sh OUTDIR
#
# Generates the TLS test PKI used by the privatelink-sidecar tests into OUTDIR
# (created if missing; existing files are overwritten, so re-running is safe).
#
#   ca.pem / ca.key                 root "privatelink-sidecar test CA", 2020-01-01..2099-12-31
#   valid.pem / valid.key           leaf, test SANs, 2020-01-01..2099-12-31, serverAuth
#   expired.pem / expired.key       leaf, test SANs, 2020-01-01..2021-01-01
#   wronghost.pem / wronghost.key   leaf, SAN only DNS:wrong.example.invalid
#   untrusted-ca.pem / untrusted-ca.key   a second, unrelated root CA
#   untrusted.pem / untrusted.key   leaf, test SANs, signed by the untrusted CA
#
# All keys are EC P-256 (fast to generate: the whole run takes well under 1 s).
# Leaf .pem files hold the leaf certificate only; the chain is just CA -> leaf.
#
# Why `openssl ca` instead of `openssl x509 -req`: OpenSSL 3.0's x509 command
# cannot set an explicit notBefore (-not_before arrived in 3.4), and the tests
# need fixed, reproducible validity windows (in particular an already-expired
# leaf).  `openssl ca -startdate/-enddate` gives exact dates, so a throw-away
# minimal CA database is created in a temp dir for every run.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi

OUT=$1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/make_certs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Dates are in ASN.1 GeneralizedTime form, which `openssl ca` accepts for any
# year (it emits UTCTime for < 2050 and GeneralizedTime after, as RFC 5280 says).
LONG_START=20200101000000Z
LONG_END=20991231235959Z
EXPIRED_END=20210101000000Z

TEST_SANS='DNS:*.pl.test, DNS:*.agent.pl.test, DNS:*.logs.pl.test, DNS:*.intake.pl.test, DNS:localhost, IP:127.0.0.1, IP:::1'

# Extension sections used by `openssl ca -extfile ... -extensions NAME`.
cat >"$WORK/ext.cnf" <<EOF
[ v3_ca ]
basicConstraints       = critical, CA:true
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_leaf_test ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = $TEST_SANS

[ v3_leaf_wronghost ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = DNS:wrong.example.invalid
EOF

# new_ca NAME CN: creates a throw-away CA database in $WORK/NAME and a
# self-signed root in $WORK/NAME/ca.{pem,key}.
new_ca() {
    local name=$1 cn=$2 dir="$WORK/$1"
    mkdir -p "$dir/newcerts"
    : >"$dir/index.txt"
    # unique_subject=no: several leaves may share a subject across runs.
    echo 'unique_subject = no' >"$dir/index.txt.attr"
    # Random serials so that two runs never produce identical (issuer, serial)
    # pairs for different certificates, which confuses some TLS caches.
    openssl rand -hex 16 >"$dir/serial"
    cat >"$dir/ca.cnf" <<EOF
[ ca ]
default_ca = this_ca

[ this_ca ]
dir            = $dir
database       = \$dir/index.txt
new_certs_dir  = \$dir/newcerts
serial         = \$dir/serial
certificate    = \$dir/ca.pem
private_key    = \$dir/ca.key
default_md     = sha256
policy         = policy_loose
copy_extensions = none
email_in_dn    = no

# The subject DN is emitted in policy order, so list O before CN to get the
# conventional "O=..., CN=..." ordering.
[ policy_loose ]
organizationName       = optional
organizationalUnitName = optional
commonName             = supplied

[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = unused
EOF
    openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key.sec1" 2>/dev/null
    # Convert to PKCS#8 ("BEGIN PRIVATE KEY"), the most widely accepted format.
    openssl pkey -in "$dir/ca.key.sec1" -out "$dir/ca.key"
    openssl req -new -key "$dir/ca.key" -subj "/O=privatelink-sidecar tests/CN=$cn" \
        -config "$dir/ca.cnf" -out "$dir/ca.csr"
    openssl ca -batch -notext -selfsign -config "$dir/ca.cnf" \
        -keyfile "$dir/ca.key" -in "$dir/ca.csr" -out "$dir/ca.pem" \
        -startdate "$LONG_START" -enddate "$LONG_END" \
        -extfile "$WORK/ext.cnf" -extensions v3_ca 2>/dev/null
}

# leaf CA_NAME OUTNAME CN EXTSECTION START END
leaf() {
    local name=$2 cn=$3 ext=$4 start=$5 end=$6 dir="$WORK/$1"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$WORK/$name.key" 2>/dev/null
    openssl req -new -key "$WORK/$name.key" -subj "/O=privatelink-sidecar tests/CN=$cn" \
        -config "$dir/ca.cnf" -out "$WORK/$name.csr"
    openssl ca -batch -notext -config "$dir/ca.cnf" \
        -in "$WORK/$name.csr" -out "$WORK/$name.pem" \
        -startdate "$start" -enddate "$end" \
        -extfile "$WORK/ext.cnf" -extensions "$ext" 2>/dev/null
}

new_ca main "privatelink-sidecar test CA"
new_ca untrusted "privatelink-sidecar untrusted test CA"

leaf main      valid     "valid.pl.test"          v3_leaf_test      "$LONG_START" "$LONG_END"
leaf main      expired   "expired.pl.test"        v3_leaf_test      "$LONG_START" "$EXPIRED_END"
leaf main      wronghost "wrong.example.invalid"  v3_leaf_wronghost "$LONG_START" "$LONG_END"
leaf untrusted untrusted "untrusted.pl.test"      v3_leaf_test      "$LONG_START" "$LONG_END"

# Install into OUTDIR.  Each file is written to a temp name then renamed so a
# concurrently running reader never sees a half-written file.
install_file() {
    local src=$1 dst=$2 mode=$3
    cp "$src" "$OUT/.$dst.tmp.$$"
    chmod "$mode" "$OUT/.$dst.tmp.$$"
    mv -f "$OUT/.$dst.tmp.$$" "$OUT/$dst"
}
install_file "$WORK/main/ca.pem"      ca.pem            0644
install_file "$WORK/main/ca.key"      ca.key            0600
install_file "$WORK/untrusted/ca.pem" untrusted-ca.pem  0644
install_file "$WORK/untrusted/ca.key" untrusted-ca.key  0600
for n in valid expired wronghost untrusted; do
    install_file "$WORK/$n.pem" "$n.pem" 0644
    # 0644 rather than 0600 on purpose: test servers may run as another user
    # (e.g. dropped privileges in containers); these keys protect nothing.
    install_file "$WORK/$n.key" "$n.key" 0644
done
