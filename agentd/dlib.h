/* SPDX-License-Identifier: ISC */
/*
 * libcurl, librabbitmq and libjwt loaded with dlopen on first use instead
 * of linked. Most daemons need none of them (libcurl serves http jobs and
 * webhooks, librabbitmq the amqp queue backend, libjwt a configured JWT
 * issuer), yet linked they and the TLS, Kerberos and LDAP libraries under
 * them are mapped and relocated at every start (Debian builds them with
 * BIND_NOW): about 3.4 MiB of RSS for nothing.
 *
 * A file that calls one of the libraries includes this header (which
 * includes the libraries' own): each function the daemon uses becomes a
 * macro for a pointer in that library's table (curl_easy_init is
 * (*dlib_curl.easy_init)), so call sites stay as they were, and the
 * pointers take their types from the library's own declarations. The
 * tables are empty until dlib_curl_load, dlib_amqp_load or dlib_jwt_load
 * succeeds: call it before the first use.
 */
#ifndef DLIB_H
#define DLIB_H

#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <curl/curl.h>
#include <jwt.h>

/*
 * The functions of each library the daemon calls (and librabbitmq's two
 * constants, which are reached through pointers just the same), as
 * X(name, member of the table). One list feeds both the table below and the
 * loader in dlib.c, so they cannot drift apart.
 */
#define DLIB_CURL_FUNCS(X)                                                     \
	X(curl_easy_cleanup, easy_cleanup)                                     \
	X(curl_easy_getinfo, easy_getinfo)                                     \
	X(curl_easy_init, easy_init)                                           \
	X(curl_easy_setopt, easy_setopt)                                       \
	X(curl_easy_strerror, easy_strerror)                                   \
	X(curl_global_init, global_init)                                       \
	X(curl_multi_add_handle, multi_add_handle)                             \
	X(curl_multi_assign, multi_assign)                                     \
	X(curl_multi_cleanup, multi_cleanup)                                   \
	X(curl_multi_info_read, multi_info_read)                               \
	X(curl_multi_init, multi_init)                                         \
	X(curl_multi_remove_handle, multi_remove_handle)                       \
	X(curl_multi_setopt, multi_setopt)                                     \
	X(curl_multi_socket_action, multi_socket_action)                       \
	X(curl_slist_append, slist_append)                                     \
	X(curl_slist_free_all, slist_free_all)

#define DLIB_AMQP_FUNCS(X)                                                     \
	X(amqp_basic_ack, basic_ack)                                           \
	X(amqp_basic_consume, basic_consume)                                   \
	X(amqp_basic_publish, basic_publish)                                   \
	X(amqp_basic_qos, basic_qos)                                           \
	X(amqp_channel_open, channel_open)                                     \
	X(amqp_confirm_select, confirm_select)                                 \
	X(amqp_consume_message, consume_message)                               \
	X(amqp_cstring_bytes, cstring_bytes)                                   \
	X(amqp_default_connection_info, default_connection_info)               \
	X(amqp_destroy_connection, destroy_connection)                         \
	X(amqp_destroy_envelope, destroy_envelope)                             \
	X(amqp_empty_bytes, empty_bytes)                                       \
	X(amqp_empty_table, empty_table)                                       \
	X(amqp_error_string2, error_string2)                                   \
	X(amqp_get_rpc_reply, get_rpc_reply)                                   \
	X(amqp_get_sockfd, get_sockfd)                                         \
	X(amqp_login, login)                                                   \
	X(amqp_maybe_release_buffers, maybe_release_buffers)                   \
	X(amqp_new_connection, new_connection)                                 \
	X(amqp_parse_url, parse_url)                                           \
	X(amqp_queue_declare, queue_declare)                                   \
	X(amqp_set_handshake_timeout, set_handshake_timeout)                   \
	X(amqp_set_rpc_timeout, set_rpc_timeout)                               \
	X(amqp_simple_wait_frame_noblock, simple_wait_frame_noblock)           \
	X(amqp_socket_open_noblock, socket_open_noblock)                       \
	X(amqp_ssl_socket_new, ssl_socket_new)                                 \
	X(amqp_ssl_socket_set_cacert, ssl_socket_set_cacert)                   \
	X(amqp_ssl_socket_set_verify_hostname, ssl_socket_set_verify_hostname) \
	X(amqp_ssl_socket_set_verify_peer, ssl_socket_set_verify_peer)         \
	X(amqp_tcp_socket_new, tcp_socket_new)

#define DLIB_JWT_FUNCS(X)                                                      \
	X(jwt_alg_str, alg_str)                                                \
	X(jwt_decode, decode)                                                  \
	X(jwt_free, free)                                                      \
	X(jwt_get_alg, get_alg)                                                \
	X(jwt_get_grant, get_grant)                                            \
	X(jwt_get_grant_int, get_grant_int)                                    \
	X(jwt_get_grants_json, get_grants_json)                                \
	X(jwt_get_header, get_header)

/* A pointer typed after the library's own declaration of FN. */
#define DLIB_MEMBER(fn, member) __typeof__(&fn) member;

struct dlib_curl {
	DLIB_CURL_FUNCS(DLIB_MEMBER)
};
struct dlib_amqp {
	DLIB_AMQP_FUNCS(DLIB_MEMBER)
};
struct dlib_jwt {
	DLIB_JWT_FUNCS(DLIB_MEMBER)
};

extern struct dlib_curl dlib_curl;
extern struct dlib_amqp dlib_amqp;
extern struct dlib_jwt dlib_jwt;

/*
 * Each loads its library (idempotent: 0 at once when it is loaded). -1
 * with *cause naming the library, what is wrong (dlerror's text or the
 * missing function) and the Debian package to install; the table stays
 * empty and a later call tries again.
 */
int dlib_curl_load(char **cause);
int dlib_amqp_load(char **cause);
int dlib_jwt_load(char **cause);

/*
 * curl.h makes curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt
 * function-like macros: with gcc its type checker (typecheck-gcc.h), which
 * expands to a call of the linked function and is therefore turned off
 * with -DCURL_DISABLE_TYPECHECK in agentd/local.mk, and otherwise a check
 * of the argument count. Either would clash with the macros below.
 */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt

#define curl_easy_cleanup (*dlib_curl.easy_cleanup)
#define curl_easy_getinfo (*dlib_curl.easy_getinfo)
#define curl_easy_init (*dlib_curl.easy_init)
#define curl_easy_setopt (*dlib_curl.easy_setopt)
#define curl_easy_strerror (*dlib_curl.easy_strerror)
#define curl_global_init (*dlib_curl.global_init)
#define curl_multi_add_handle (*dlib_curl.multi_add_handle)
#define curl_multi_assign (*dlib_curl.multi_assign)
#define curl_multi_cleanup (*dlib_curl.multi_cleanup)
#define curl_multi_info_read (*dlib_curl.multi_info_read)
#define curl_multi_init (*dlib_curl.multi_init)
#define curl_multi_remove_handle (*dlib_curl.multi_remove_handle)
#define curl_multi_setopt (*dlib_curl.multi_setopt)
#define curl_multi_socket_action (*dlib_curl.multi_socket_action)
#define curl_slist_append (*dlib_curl.slist_append)
/*
 * Owners free their (empty) header list whether or not a request ever
 * started, libcurl loaded or not: NULL is freed without the library.
 */
#define curl_slist_free_all dlib_curl_slist_free_all
void dlib_curl_slist_free_all(struct curl_slist *list);

#define amqp_basic_ack (*dlib_amqp.basic_ack)
#define amqp_basic_consume (*dlib_amqp.basic_consume)
#define amqp_basic_publish (*dlib_amqp.basic_publish)
#define amqp_basic_qos (*dlib_amqp.basic_qos)
#define amqp_channel_open (*dlib_amqp.channel_open)
#define amqp_confirm_select (*dlib_amqp.confirm_select)
#define amqp_consume_message (*dlib_amqp.consume_message)
#define amqp_cstring_bytes (*dlib_amqp.cstring_bytes)
#define amqp_default_connection_info (*dlib_amqp.default_connection_info)
#define amqp_destroy_connection (*dlib_amqp.destroy_connection)
#define amqp_destroy_envelope (*dlib_amqp.destroy_envelope)
#define amqp_empty_bytes (*dlib_amqp.empty_bytes)
#define amqp_empty_table (*dlib_amqp.empty_table)
#define amqp_error_string2 (*dlib_amqp.error_string2)
#define amqp_get_rpc_reply (*dlib_amqp.get_rpc_reply)
#define amqp_get_sockfd (*dlib_amqp.get_sockfd)
#define amqp_login (*dlib_amqp.login)
#define amqp_maybe_release_buffers (*dlib_amqp.maybe_release_buffers)
#define amqp_new_connection (*dlib_amqp.new_connection)
#define amqp_parse_url (*dlib_amqp.parse_url)
#define amqp_queue_declare (*dlib_amqp.queue_declare)
#define amqp_set_handshake_timeout (*dlib_amqp.set_handshake_timeout)
#define amqp_set_rpc_timeout (*dlib_amqp.set_rpc_timeout)
#define amqp_simple_wait_frame_noblock (*dlib_amqp.simple_wait_frame_noblock)
#define amqp_socket_open_noblock (*dlib_amqp.socket_open_noblock)
#define amqp_ssl_socket_new (*dlib_amqp.ssl_socket_new)
#define amqp_ssl_socket_set_cacert (*dlib_amqp.ssl_socket_set_cacert)
#define amqp_ssl_socket_set_verify_hostname                                    \
	(*dlib_amqp.ssl_socket_set_verify_hostname)
#define amqp_ssl_socket_set_verify_peer (*dlib_amqp.ssl_socket_set_verify_peer)
#define amqp_tcp_socket_new (*dlib_amqp.tcp_socket_new)

#define jwt_alg_str (*dlib_jwt.alg_str)
#define jwt_decode (*dlib_jwt.decode)
#define jwt_free (*dlib_jwt.free)
#define jwt_get_alg (*dlib_jwt.get_alg)
#define jwt_get_grant (*dlib_jwt.get_grant)
#define jwt_get_grant_int (*dlib_jwt.get_grant_int)
#define jwt_get_grants_json (*dlib_jwt.get_grants_json)
#define jwt_get_header (*dlib_jwt.get_header)

#endif
