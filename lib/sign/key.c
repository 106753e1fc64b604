/* Ed25519 keys through OpenSSL EVP: generate, save (PKCS#8 / SPKI PEM),
 * load, sign, verify, and the key id — hex SHA-256 of the raw public key,
 * defined here and nowhere else. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "referee/error.h"
#include "referee/file.h"
#include "referee/sign.h"
#include "sign_internal.h"

struct rf_key {
	EVP_PKEY *pkey;
	int has_private;
	char id[RF_KEYID_HEX_LEN + 1];
};

/* Wrap `pkey` (taken over) in an rf_key, computing its id. */
static int key_wrap(rf_key **out, EVP_PKEY *pkey, int has_private,
		    const char *what)
{
	unsigned char raw[32], md[32];
	size_t rawlen = sizeof raw;
	unsigned int mdlen = 0;
	rf_key *k;
	*out = NULL;
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return rf_error_set(RF_EFORMAT, "'%s' is not an Ed25519 key", what);
	}
	if (EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen) != 1 || rawlen != 32 ||
	    EVP_Digest(raw, rawlen, md, &mdlen, EVP_sha256(), NULL) != 1) {
		EVP_PKEY_free(pkey);
		return rf_error_openssl(RF_ELIB, "cannot read the public key of '%s'",
					what);
	}
	k = calloc(1, sizeof *k);
	if (!k) {
		EVP_PKEY_free(pkey);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	k->pkey = pkey;
	k->has_private = has_private;
	for (unsigned i = 0; i < 32; i++)
		snprintf(k->id + 2 * i, 3, "%02x", md[i]);
	*out = k;
	return 0;
}

int rf_key_generate(rf_key **out)
{
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	*out = NULL;
	if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_keygen(ctx, &pkey) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return rf_error_openssl(RF_ELIB, "cannot generate an Ed25519 key");
	}
	EVP_PKEY_CTX_free(ctx);
	return key_wrap(out, pkey, 1, "new key");
}

const char *rf_key_id(const rf_key *key)
{
	return key ? key->id : "";
}

int rf_key_has_private(const rf_key *key)
{
	return key && key->has_private;
}

int rf_key_public_pem(rf_buf *out, const rf_key *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	BUF_MEM *mem;
	int rc;
	if (!bio || PEM_write_bio_PUBKEY(bio, key->pkey) != 1) {
		BIO_free(bio);
		return rf_error_openssl(RF_ELIB, "cannot encode a public key");
	}
	BIO_get_mem_ptr(bio, &mem);
	rc = rf_buf_append(out, mem->data, mem->length);
	BIO_free(bio);
	return rc;
}

int rf_key_save(const rf_key *key, const char *priv_path, const char *pub_path,
		const char *pass, size_t passlen)
{
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;
	rf_buf pub = RF_BUF_INIT;
	const EVP_CIPHER *cipher = NULL;
	int rc, ok;
	if (!key || !key->has_private)
		return rf_error_set(RF_EINVAL, "no private key to save");
	if (passlen > 1024)
		return rf_error_set(RF_EINVAL, "passphrase longer than 1024 bytes");
	if (rf_path_exists(priv_path))
		return rf_error_set(RF_EEXIST, "'%s' already exists; not overwriting",
				    priv_path);
	if (rf_path_exists(pub_path))
		return rf_error_set(RF_EEXIST, "'%s' already exists; not overwriting",
				    pub_path);
	if ((rc = rf_key_public_pem(&pub, key)) != 0)
		return rc;
	/* The secure-heap BIO clears its memory when freed. */
	bio = BIO_new(BIO_s_secmem());
	if (!bio) {
		rf_buf_free(&pub);
		return rf_error_openssl(RF_ELIB, "cannot allocate a secure buffer");
	}
	if (pass && passlen)
		cipher = EVP_aes_256_cbc();
	ok = PEM_write_bio_PKCS8PrivateKey(bio, key->pkey, cipher,
					   cipher ? pass : NULL,
					   cipher ? (int)passlen : 0, NULL, NULL);
	if (ok != 1) {
		rc = rf_error_openssl(RF_ELIB, "cannot encode the private key");
		goto out;
	}
	BIO_get_mem_ptr(bio, &mem);
	if ((rc = rf_file_write_new(priv_path, mem->data, mem->length, 0600)) != 0)
		goto out;
	rc = rf_file_write_atomic(pub_path, pub.data, pub.len, 0644, 0);
	if (rc)
		unlink(priv_path);
out:
	if (mem && mem->data)
		OPENSSL_cleanse(mem->data, mem->length);
	BIO_free(bio);
	rf_buf_free(&pub);
	return rc;
}

/* Read a secret file straight into one buffer sized from fstat, so that no
 * stray copy (a stack block, a realloc'ed old buffer) is left unwiped. */
static int read_secret(rf_buf *out, const char *path, size_t max)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO named as a key must not block the open. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), rc = 0;
	if (fd < 0)
		return rf_error_set(errno == ENOENT ? RF_ENOTFOUND : RF_EIO,
				    "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return rf_error_set(RF_EIO, "'%s' is not a regular file", path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return rf_error_set(RF_ELIMIT, "'%s' is larger than %zu bytes", path, max);
	}
	rf_buf_clear(out);
	if ((rc = rf_buf_grow(out, (size_t)st.st_size + 1)) != 0) {
		close(fd);
		return rc;
	}
	for (;;) {
		size_t room = out->cap - out->len - 1;
		ssize_t n;
		if (room == 0)
			break; /* grew since fstat: keep what fits */
		n = read(fd, out->data + out->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = rf_error_set(RF_EIO, "cannot read '%s': %s", path,
					  strerror(errno));
			break;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
	}
	out->data[out->len] = '\0';
	close(fd);
	return rc;
}

static int pem_is_encrypted(const rf_buf *pem)
{
	return strstr(pem->data ? pem->data : "",
		      "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL;
}

int rf_key_file_is_encrypted(const char *path)
{
	rf_buf pem = RF_BUF_INIT;
	int rc = read_secret(&pem, path, RF_KEY_FILE_MAX);
	if (rc == 0)
		rc = pem_is_encrypted(&pem);
	rf_buf_wipe(&pem);
	return rc;
}

struct pass_ctx {
	const char *pass;
	size_t len;
};

/* Never let OpenSSL prompt on the terminal by itself: only this callback
 * hands out a passphrase, and only the one we were given. */
static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	struct pass_ctx *pc = u;
	(void)rwflag;
	if (!pc || !pc->pass || pc->len > (size_t)size)
		return -1;
	memcpy(buf, pc->pass, pc->len);
	return (int)pc->len;
}

int rf_key_load_private(rf_key **out, const char *path, const char *pass,
			size_t passlen)
{
	rf_buf pem = RF_BUF_INIT;
	struct pass_ctx pc = {pass, passlen};
	EVP_PKEY *pkey = NULL;
	BIO *bio;
	int rc, encrypted;
	*out = NULL;
	if ((rc = read_secret(&pem, path, RF_KEY_FILE_MAX)) != 0) {
		rf_buf_wipe(&pem);
		return rc;
	}
	encrypted = pem_is_encrypted(&pem);
	if (encrypted && !pass) {
		rf_buf_wipe(&pem);
		return rf_error_set(RF_EINVAL, "'%s' is encrypted: a passphrase is needed",
				    path);
	}
	bio = BIO_new_mem_buf(pem.data, (int)pem.len);
	if (bio)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, &pc);
	BIO_free(bio);
	rf_buf_wipe(&pem);
	if (!pkey) {
		if (encrypted)
			return rf_error_openssl(RF_ECHECK,
						"cannot decrypt '%s': wrong passphrase",
						path);
		return rf_error_openssl(RF_EFORMAT, "'%s' is not a PEM private key",
					path);
	}
	return key_wrap(out, pkey, 1, path);
}

static int load_pub_pem(rf_key **out, const char *text, size_t len,
			const char *what)
{
	BIO *bio = BIO_new_mem_buf(text, (int)len);
	EVP_PKEY *pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	*out = NULL;
	if (!pkey)
		return rf_error_openssl(RF_EFORMAT, "'%s' is not a PEM public key",
					what);
	return key_wrap(out, pkey, 0, what);
}

/* Number of PEM blocks ("-----BEGIN ") in text. */
static size_t pem_blocks(const char *text)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, "-----BEGIN ")) != NULL; p++)
		n++;
	return n;
}

int rf_key_load_public(rf_key **out, const char *path)
{
	rf_buf pem = RF_BUF_INIT;
	struct stat st;
	int rc;
	*out = NULL;
	/* A trust list names files; a FIFO or a device is not a key file. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return rf_error_set(RF_EIO, "'%s' is not a regular file", path);
	rc = rf_file_read(&pem, path, RF_KEY_FILE_MAX);
	if (rc == 0) {
		if (strstr(pem.data ? pem.data : "", "PRIVATE KEY-----"))
			rc = rf_error_set(RF_EFORMAT,
					  "'%s' holds a private key; give the .pub file",
					  path);
		else if (pem_blocks(pem.data ? pem.data : "") != 1)
			/* OpenSSL reads the first block only: a second key would
			 * be silently ignored (and the reader think it trusted). */
			rc = rf_error_set(RF_EFORMAT,
					  "'%s' holds %zu PEM blocks; a .pub file holds "
					  "exactly one public key", path,
					  pem_blocks(pem.data ? pem.data : ""));
		else
			rc = load_pub_pem(out, pem.data ? pem.data : "", pem.len, path);
	}
	rf_buf_free(&pem);
	return rc;
}

int rf_key_from_spki_base64(rf_key **out, const char *b64, const char *what)
{
	rf_buf der = RF_BUF_INIT;
	const unsigned char *p;
	EVP_PKEY *pkey;
	size_t len = strlen(b64);
	int rc;
	*out = NULL;
	if (len > 1024)
		return rf_error_set(RF_EFORMAT, "%s: key too long", what);
	if ((rc = rf_base64_decode(&der, b64, len, what)) != 0) {
		rf_buf_free(&der); /* a partial decode was left in it */
		return rc;
	}
	p = (const unsigned char *)der.data;
	pkey = d2i_PUBKEY(NULL, &p, (long)der.len);
	if (!pkey || p != (const unsigned char *)der.data + der.len) {
		EVP_PKEY_free(pkey);
		rf_buf_free(&der);
		return rf_error_openssl(RF_EFORMAT, "%s: not an SPKI public key", what);
	}
	rf_buf_free(&der);
	return key_wrap(out, pkey, 0, what);
}

int rf_key_sign(rf_buf *sig, const rf_key *key, const void *msg, size_t len)
{
	EVP_MD_CTX *ctx;
	size_t siglen = RF_SIG_LEN;
	int rc;
	if (!key || !key->has_private)
		return rf_error_set(RF_EINVAL, "signing needs a private key");
	if ((rc = rf_buf_grow(sig, RF_SIG_LEN)) != 0)
		return rc;
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) != 1 ||
	    EVP_DigestSign(ctx, (unsigned char *)sig->data + sig->len, &siglen,
			   msg, len) != 1 || siglen != RF_SIG_LEN) {
		EVP_MD_CTX_free(ctx);
		return rf_error_openssl(RF_ELIB, "Ed25519 signing failed");
	}
	EVP_MD_CTX_free(ctx);
	sig->len += siglen;
	sig->data[sig->len] = '\0';
	return 0;
}

int rf_key_verify(const rf_key *key, const void *msg, size_t len,
		  const void *sig, size_t siglen)
{
	EVP_MD_CTX *ctx;
	int ok;
	if (!key || siglen != RF_SIG_LEN)
		return RF_ECHECK;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return rf_error_set(RF_ENOMEM, "out of memory");
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : RF_ECHECK;
}

int rf_key_public_copy(rf_key **out, const rf_key *key)
{
	unsigned char raw[32];
	size_t rawlen = sizeof raw;
	EVP_PKEY *pkey;
	*out = NULL;
	if (EVP_PKEY_get_raw_public_key(key->pkey, raw, &rawlen) != 1)
		return rf_error_openssl(RF_ELIB, "cannot copy a public key");
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, rawlen);
	if (!pkey)
		return rf_error_openssl(RF_ELIB, "cannot copy a public key");
	return key_wrap(out, pkey, 0, "public key");
}

void rf_key_free(rf_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey); /* OpenSSL cleanses Ed25519 private bytes */
	OPENSSL_cleanse(key, sizeof *key);
	free(key);
}

int rf_secret_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	/* The lengths are not secret; the bytes are: CRYPTO_memcmp reads all
	 * of them whatever the first difference. */
	if (alen != blen)
		return 0;
	if (alen == 0)
		return 1;
	if (!a || !b)
		return 0;
	return CRYPTO_memcmp(a, b, alen) == 0;
}
