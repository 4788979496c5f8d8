/* The baseline of the signed + encrypted end-to-end figure (issue 11): decrypt an esp_encrypted_img
 * file (RSA-3072 scheme) with nothing but OpenSSL's EVP API, as a program that does only that would.
 *
 *   evp_decrypt PRIV.pem IN.enc OUT.bin
 *
 * `openssl enc` cannot be the baseline: it refuses AEAD ciphers (GCM), and the header's AES key is
 * RSA-wrapped. So: the 512-byte header (layout in include/ota/ota_enc_img.h, read here from the
 * bytes, not through the library), EVP_PKEY_decrypt (PKCS#1 v1.5) of the key, AES-256-GCM with the
 * 16-byte IV over 64 KiB pieces (the size the decrypt-stage bench uses), tag checked at the end.
 * Exit 0 and OUT written, or 1 with the reason on stderr. Deliberately independent of libotaservice:
 * the figure compares our decrypt stage with OpenSSL used directly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#define HEADER 512
#define PIECE  (64 * 1024)

static int fail(const char *what)
{
    fprintf(stderr, "evp_decrypt: %s\n", what);
    return 1;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s PRIV.pem IN.enc OUT.bin\n", argv[0]);
        return 2;
    }
    FILE *kf = fopen(argv[1], "r");
    if (kf == NULL) {
        return fail("cannot open the key");
    }
    EVP_PKEY *pk = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
    fclose(kf);
    FILE *in = fopen(argv[2], "rb");
    FILE *out = fopen(argv[3], "wb");
    unsigned char hdr[HEADER], key[512];
    size_t keylen = sizeof key;
    int rc = 1;
    EVP_PKEY_CTX *pc = NULL;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    unsigned char *buf = malloc(PIECE), *obuf = malloc(PIECE + 16);
    if (pk == NULL || in == NULL || out == NULL || c == NULL || buf == NULL || obuf == NULL) {
        rc = fail("set-up failed (key, files or memory)");
        goto done;
    }
    if (fread(hdr, 1, HEADER, in) != HEADER || le32(hdr) != 0x0788B6CFu) {
        rc = fail("not an esp_encrypted_img file");
        goto done;
    }
    pc = EVP_PKEY_CTX_new(pk, NULL);
    if (pc == NULL || EVP_PKEY_decrypt_init(pc) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) <= 0 ||
        EVP_PKEY_decrypt(pc, key, &keylen, hdr + 4, 384) <= 0 || keylen != 32) {
        rc = fail("RSA decryption of the AES key failed");
        goto done;
    }
    if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 16, NULL) != 1 ||
        EVP_DecryptInit_ex(c, NULL, NULL, key, hdr + 388) != 1) {
        rc = fail("AES-256-GCM set-up failed");
        goto done;
    }
    uint32_t left = le32(hdr + 404);
    while (left > 0) {
        size_t want = left < PIECE ? left : PIECE;
        int n = 0;
        if (fread(buf, 1, want, in) != want || EVP_DecryptUpdate(c, obuf, &n, buf, (int)want) != 1 ||
            fwrite(obuf, 1, (size_t)n, out) != (size_t)n) {
            rc = fail("truncated input or write error");
            goto done;
        }
        left -= (uint32_t)want;
    }
    int n = 0;
    if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, hdr + 408) != 1 ||
        EVP_DecryptFinal_ex(c, obuf, &n) != 1) {
        rc = fail("GCM tag mismatch");
        goto done;
    }
    rc = fclose(out) == 0 ? 0 : fail("write error");
    out = NULL;
done:
    if (out != NULL) {
        fclose(out);
    }
    if (in != NULL) {
        fclose(in);
    }
    free(buf);
    free(obuf);
    EVP_CIPHER_CTX_free(c);
    EVP_PKEY_CTX_free(pc);
    EVP_PKEY_free(pk);
    return rc;
}
