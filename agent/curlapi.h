/* SPDX-License-Identifier: MIT */
/*
 * curlapi.h - libcurl, loaded when the agent first needs it.
 *
 * Linking libcurl brings some thirty libraries (two TLS stacks, Kerberos,
 * LDAP, SSH) into every agent at start, and their constructors and
 * relocations cost megabytes of resident memory in an agent that never
 * speaks HTTP (no aws role).  So http.c calls libcurl through this table,
 * filled with dlopen() of the Debian runtime library on first use.
 */
#pragma once

#include <curl/curl.h>

/* The libcurl calls http.c makes; each field is the libcurl function of that name. */
typedef struct CurlApi {
        CURLM *(*multi_init)(void);
        CURLMcode (*multi_setopt)(CURLM *multi, CURLMoption option, ...);
        CURLMcode (*multi_cleanup)(CURLM *multi);
        CURLMsg *(*multi_info_read)(CURLM *multi, int *left);
        CURLMcode (*multi_add_handle)(CURLM *multi, CURL *easy);
        CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *easy);
        CURLMcode (*multi_socket_action)(CURLM *multi, curl_socket_t fd, int ev_bitmask,
                                         int *running);
        CURLMcode (*multi_assign)(CURLM *multi, curl_socket_t fd, void *data);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *easy, CURLoption option, ...);
        CURLcode (*easy_getinfo)(CURL *easy, CURLINFO info, ...);
        void (*easy_cleanup)(CURL *easy);
        const char *(*easy_strerror)(CURLcode code);
        struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
        void (*slist_free_all)(struct curl_slist *list);
} CurlApi;

/* The runtime library's soname (Debian package libcurl4). */
#define CURLAPI_SONAME "libcurl.so.4"

/*
 * curlapi_load() - load libcurl and run curl_global_init() the first time;
 * later calls return the same table.  Loop thread only (curl_global_init()
 * is not thread-safe).  A failure is logged once and remembered.
 * Return: 0 with *@apip set (static, never freed), or -EIO.
 */
int curlapi_load(const CurlApi **apip);
