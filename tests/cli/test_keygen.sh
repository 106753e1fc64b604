#!/usr/bin/env bash
# referee keygen: key files, modes, key id, refusal to overwrite, passphrases.
. "$(dirname "$0")/lib.sh"
cd "$T"

expect_exit "keygen writes a key pair" 0 "$REFEREE" keygen alice --no-passphrase
expect_out_match "keygen prints the key id" "^key id: [0-9a-f]{64}$"
id=$(sed -n 's/^key id: //p' "$T/out")
if [ -f alice.key ] && [ -f alice.pub ]; then ok "both files exist"; else not_ok "both files exist"; fi
mode=$(stat -c %a alice.key)
if [ "$mode" = 600 ]; then ok "private key is 0600"; else not_ok "private key is 0600" "mode $mode"; fi
if grep -q "BEGIN PRIVATE KEY" alice.key && grep -q "BEGIN PUBLIC KEY" alice.pub; then
  ok "PKCS#8 and SPKI PEM"; else not_ok "PKCS#8 and SPKI PEM"; fi
if openssl pkey -in alice.key -noout -text 2>/dev/null | grep -q ED25519; then
  ok "openssl reads an Ed25519 private key"; else not_ok "openssl reads an Ed25519 private key"; fi
# key id = SHA-256 of the raw 32-byte public key (the last 32 bytes of the SPKI DER)
raw_id=$(openssl pkey -pubin -in alice.pub -outform DER | tail -c 32 | sha256sum | cut -d' ' -f1)
if [ "$raw_id" = "$id" ]; then ok "key id is sha256 of the raw public key"
else not_ok "key id is sha256 of the raw public key" "$raw_id != $id"; fi

before=$(sha256sum alice.key alice.pub)
expect_exit "keygen refuses to overwrite" 2 "$REFEREE" keygen alice --no-passphrase
expect_err_match "refusal names the file" "'alice.key' already exists"
after=$(sha256sum alice.key alice.pub)
if [ "$before" = "$after" ]; then ok "existing keys untouched"; else not_ok "existing keys untouched"; fi
rm alice.key
expect_exit "keygen refuses when only the .pub exists" 2 "$REFEREE" keygen alice --no-passphrase
if [ ! -e alice.key ]; then ok "no private key left behind"; else not_ok "no private key left behind"; fi
ln -s /tmp/nowhere-$$ evil.key
expect_exit "keygen refuses a symlink at NAME.key" 2 "$REFEREE" keygen evil --no-passphrase
if [ ! -e /tmp/nowhere-$$ ]; then ok "symlink target not created"; else not_ok "symlink target not created"; rm -f /tmp/nowhere-$$; fi

printf 'correct horse\n' > pass
expect_exit "keygen with --passphrase-file" 0 "$REFEREE" keygen bob --passphrase-file pass
if grep -q "BEGIN ENCRYPTED PRIVATE KEY" bob.key; then ok "encrypted PKCS#8"; else not_ok "encrypted PKCS#8"; fi
if openssl pkey -in bob.key -passin pass:'correct horse' -pubout 2>/dev/null | cmp -s - bob.pub; then
  ok "openssl decrypts it with the passphrase"; else not_ok "openssl decrypts it with the passphrase"; fi
if openssl pkey -in bob.key -passin pass:wrong -pubout >/dev/null 2>&1; then
  not_ok "a wrong passphrase does not decrypt it"; else ok "a wrong passphrase does not decrypt it"; fi
: > empty
expect_exit "an empty passphrase file is refused" 2 "$REFEREE" keygen carol --passphrase-file empty
expect_exit "an unreadable passphrase file is refused" 2 "$REFEREE" keygen carol --passphrase-file nosuch
if [ ! -e carol.key ]; then ok "nothing written on refusal"; else not_ok "nothing written on refusal"; fi
# The passphrase from a terminal, echo off: drive keygen through a pty.
cat > drive_pty.py <<'PYEOF'
import os, pty, signal, sys
signal.alarm(20)
referee, name, typed = sys.argv[1], sys.argv[2], sys.argv[3].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execv(referee, [referee, "keygen", name])
out = b""
def until(tok):
    global out
    while tok not in out:
        out += os.read(fd, 1024)
until(b"passphrase for the new key")
os.write(fd, typed + b"\n")
until(b"again")
os.write(fd, typed + b"\n")
try:
    while True:
        d = os.read(fd, 1024)
        if not d:
            break
        out += d
except OSError:
    pass
_, st = os.waitpid(pid, 0)
print("exit", os.waitstatus_to_exitcode(st))
print("echoed" if typed in out else "not echoed")
PYEOF
if python3 drive_pty.py "$REFEREE" ttykey 'tty secret 42' > tty.out 2>&1; then :; fi
if grep -q "exit 0" tty.out; then ok "keygen asks for the passphrase on a terminal"; else not_ok "keygen asks for the passphrase on a terminal" "$(cat tty.out)"; fi
if grep -q "not echoed" tty.out; then ok "the typed passphrase is not echoed"; else not_ok "the typed passphrase is not echoed" "$(cat tty.out)"; fi
if openssl pkey -in ttykey.key -passin pass:'tty secret 42' -pubout 2>/dev/null | cmp -s - ttykey.pub; then
  ok "the key is encrypted with the typed passphrase"; else not_ok "the key is encrypted with the typed passphrase"; fi
expect_exit "no name is a usage error" 2 "$REFEREE" keygen
expect_exit "--help" 0 "$REFEREE" keygen --help
done_testing
