/* SPDX-License-Identifier: MIT */
/*
 * replay.c - a main() for libFuzzer targets without libFuzzer: runs
 * LLVMFuzzerTestOneInput() once over every file named on the command line
 * (directories are walked one level deep), so seed corpora run as ctests
 * under any compiler.  A crash or sanitizer report fails the test.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* run_file() - feed one file to the target.  Return: 0, or -1 when it cannot be read. */
static int run_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        uint8_t *buf = NULL;
        size_t len = 0, size = 0;
        int r = 0;

        if (!f) {
                perror(path);
                return -1;
        }
        for (;;) {
                size_t n;

                if (len == size) {
                        uint8_t *nb = realloc(buf, size ? size * 2 : 4096);

                        if (!nb) {
                                r = -1;
                                break;
                        }
                        buf = nb;
                        size = size ? size * 2 : 4096;
                }
                n = fread(buf + len, 1, size - len, f);
                len += n;
                if (n == 0) {
                        if (ferror(f))
                                r = -1;
                        break;
                }
        }
        fclose(f);
        if (r == 0) {
                /* An exact-size copy, so ASan sees reads past the end of the input. */
                uint8_t *exact = malloc(len ? len : 1);

                if (!exact) {
                        r = -1;
                } else {
                        memcpy(exact, buf, len);
                        LLVMFuzzerTestOneInput(exact, len);
                        free(exact);
                }
        }
        free(buf);
        return r;
}

int main(int argc, char **argv)
{
        int n_run = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                DIR *d;
                struct dirent *de;

                if (stat(argv[i], &st) < 0) {
                        perror(argv[i]);
                        return 1;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (run_file(argv[i]) < 0)
                                return 1;
                        n_run++;
                        continue;
                }
                d = opendir(argv[i]);
                if (!d) {
                        perror(argv[i]);
                        return 1;
                }
                while ((de = readdir(d))) {
                        char path[4096];

                        if (de->d_name[0] == '.')
                                continue;
                        snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
                        if (run_file(path) < 0) {
                                closedir(d);
                                return 1;
                        }
                        n_run++;
                }
                closedir(d);
        }
        printf("%d inputs replayed\n", n_run);
        /* No input at all means a broken corpus path, not a pass. */
        return n_run > 0 ? 0 : 1;
}
