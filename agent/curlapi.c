/* SPDX-License-Identifier: MIT */
/*
 * curlapi.c - libcurl loaded with dlopen() on first use (see curlapi.h).
 *
 * The library is opened once with RTLD_NOW, every function http.c needs is
 * looked up, and curl_global_init() runs; the table then lives as long as
 * the process (libcurl is never unloaded).
 */
#include "curlapi.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>

#include "log.h"

static CurlApi api;
static int result = 1; /* 1: not tried yet */

static bool look_up(void *lib, void *fnp, const char *name)
{
        void *fn = dlsym(lib, name);

        if (!fn) {
                log_error("cannot use %s: it has no %s", CURLAPI_SONAME, name);
                return false;
        }
        /* POSIX guarantees that a function pointer survives the round trip through void *. */
        *(void **)fnp = fn;
        return true;
}

static int load(void)
{
        void *lib = dlopen(CURLAPI_SONAME, RTLD_NOW | RTLD_LOCAL);
        CURLcode (*global_init)(long flags);

        if (!lib) {
                log_error("cannot load %s (HTTPS for the aws issuer): %s", CURLAPI_SONAME,
                          dlerror());
                return -EIO;
        }
        if (!look_up(lib, &api.multi_init, "curl_multi_init") ||
            !look_up(lib, &api.multi_setopt, "curl_multi_setopt") ||
            !look_up(lib, &api.multi_cleanup, "curl_multi_cleanup") ||
            !look_up(lib, &api.multi_info_read, "curl_multi_info_read") ||
            !look_up(lib, &api.multi_add_handle, "curl_multi_add_handle") ||
            !look_up(lib, &api.multi_remove_handle, "curl_multi_remove_handle") ||
            !look_up(lib, &api.multi_socket_action, "curl_multi_socket_action") ||
            !look_up(lib, &api.multi_assign, "curl_multi_assign") ||
            !look_up(lib, &api.easy_init, "curl_easy_init") ||
            !look_up(lib, &api.easy_setopt, "curl_easy_setopt") ||
            !look_up(lib, &api.easy_getinfo, "curl_easy_getinfo") ||
            !look_up(lib, &api.easy_cleanup, "curl_easy_cleanup") ||
            !look_up(lib, &api.easy_strerror, "curl_easy_strerror") ||
            !look_up(lib, &api.slist_append, "curl_slist_append") ||
            !look_up(lib, &api.slist_free_all, "curl_slist_free_all") ||
            !look_up(lib, &global_init, "curl_global_init"))
                return -EIO;
        if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                log_error("cannot use %s: curl_global_init() failed", CURLAPI_SONAME);
                return -EIO;
        }
        return 0;
}

int curlapi_load(const CurlApi **apip)
{
        if (result == 1)
                result = load();
        if (result < 0)
                return result;
        *apip = &api;
        return 0;
}
