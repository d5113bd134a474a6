// Transport for the umqtt client: opens TCP (and TLS) through the port's own
// `socket` and `tls` modules, then moves bytes only through the stream
// protocol, non-blocking, waiting in short slices so that a dead peer, another
// thread or Ctrl-C is never kept waiting.

#include <string.h>

#include "py/runtime.h"
#include "py/stream.h"
#include "py/mphal.h"
#include "py/mperrno.h"
#include "py/unicode.h"
#include "py/objstr.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <poll.h>
#define UMQTT_HAVE_POLL (1)
#else
#define UMQTT_HAVE_POLL (0)
#endif

static mp_obj_t call_method(mp_obj_t obj, qstr name, size_t n_args, const mp_obj_t *args) {
    mp_obj_t dest[2 + 4];
    mp_load_method(obj, name, dest);
    for (size_t i = 0; i < n_args; ++i) {
        dest[2 + i] = args[i];
    }
    return mp_call_method_n_kw(n_args, 0, dest);
}

static inline mp_obj_t import_module(qstr name) {
    return mp_import_name(name, mp_const_none, MP_OBJ_NEW_SMALL_INT(0));
}

static inline mp_obj_t timeout_seconds(uint32_t ms) {
    #if MICROPY_PY_BUILTINS_FLOAT
    return mp_obj_new_float((mp_float_t)ms / 1000);
    #else
    return MP_OBJ_NEW_SMALL_INT((ms + 999) / 1000);
    #endif
}

#if MICROPY_PY_UMQTT_NET
// `name` imported, or MP_OBJ_NULL if the import raised.
static mp_obj_t try_import(qstr name) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mp_obj_t mod = import_module(name);
        nlr_pop();
        return mod;
    }
    return MP_OBJ_NULL;
}

// The port's TLS module: `tls` on MicroPython >= 1.23, `ssl`/`ussl` before.
static mp_obj_t import_tls(void) {
    static const qstr names[] = { MP_QSTR_tls, MP_QSTR_ssl, MP_QSTR_ussl };
    for (size_t i = 0; i < MP_ARRAY_SIZE(names); ++i) {
        mp_obj_t mod = try_import(names[i]);
        if (mod != MP_OBJ_NULL) {
            return mod;
        }
    }
    mp_raise_msg(&mp_type_ImportError, MP_ERROR_TEXT("umqtt: no TLS module on this firmware"));
}

static mp_obj_t dict_get(mp_obj_t dict, qstr key) {
    if (dict == mp_const_none || !mp_obj_is_dict_or_ordereddict(dict)) {
        return MP_OBJ_NULL;
    }
    mp_map_elem_t *elem = mp_map_lookup(mp_obj_dict_get_map(dict), MP_OBJ_NEW_QSTR(key), MP_MAP_LOOKUP);
    return (elem == NULL || elem->value == mp_const_none) ? MP_OBJ_NULL : elem->value;
}

// Build an SSLContext from `ssl_params`, accepting both QuecPython's
// {"ca"/"cadata", "cert", "key"} and umqtt.simple's wrap_socket keywords.
static mp_obj_t make_tls_context(mp_obj_t tls, mp_obj_t params) {
    mp_obj_t proto = mp_load_attr(tls, MP_QSTR_PROTOCOL_TLS_CLIENT);
    mp_obj_t ctx = mp_call_function_1(mp_load_attr(tls, MP_QSTR_SSLContext), proto);
    mp_obj_t ca = dict_get(params, MP_QSTR_cadata);
    if (ca == MP_OBJ_NULL) {
        ca = dict_get(params, MP_QSTR_ca);
    }
    mp_obj_t cert = dict_get(params, MP_QSTR_cert);
    mp_obj_t key = dict_get(params, MP_QSTR_key);
    mp_obj_t cert_reqs = dict_get(params, MP_QSTR_cert_reqs);
    if (ca != MP_OBJ_NULL) {
        // MicroPython's tls takes cadata positionally (PEM or DER).
        call_method(ctx, MP_QSTR_load_verify_locations, 1, &ca);
    }
    if (cert != MP_OBJ_NULL || key != MP_OBJ_NULL) {
        if (cert == MP_OBJ_NULL || key == MP_OBJ_NULL) {
            mp_raise_ValueError(MP_ERROR_TEXT("ssl_params: 'cert' and 'key' go together"));
        }
        mp_obj_t args[2] = { cert, key };
        call_method(ctx, MP_QSTR_load_cert_chain, 2, args);
    }
    // Verification is on whenever a CA is given or cert_reqs asks for it;
    // without a CA the link is encrypted but the server not authenticated.
    if (cert_reqs == MP_OBJ_NULL) {
        cert_reqs = mp_load_attr(tls, ca != MP_OBJ_NULL ? MP_QSTR_CERT_REQUIRED : MP_QSTR_CERT_NONE);
    }
    mp_store_attr(ctx, MP_QSTR_verify_mode, cert_reqs);
    return ctx;
}

// Every packet is one write, so Nagle's algorithm only delays: a PUBLISH
// written right after a 4-byte acknowledgement would wait for the broker's
// delayed ACK (40 ms on Linux). IPPROTO_TCP (6) and TCP_NODELAY (1) have the
// same values in Linux and lwIP; a port without setsockopt keeps Nagle.
static void set_nodelay(mp_obj_t sock) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mp_obj_t args[3] = { MP_OBJ_NEW_SMALL_INT(6), MP_OBJ_NEW_SMALL_INT(1), MP_OBJ_NEW_SMALL_INT(1) };
        call_method(sock, MP_QSTR_setsockopt, 3, args);
        nlr_pop();
    }
}

static mp_obj_t wrap_tls(umqtt_client_obj_t *self, mp_obj_t sock) {
    mp_obj_t ctx;
    if (self->ssl == mp_const_true) {
        ctx = make_tls_context(import_tls(), self->ssl_params);
    } else {
        ctx = self->ssl;    // an SSLContext the script configured
    }
    mp_obj_t hostname = dict_get(self->ssl_params, MP_QSTR_server_hostname);
    if (hostname == MP_OBJ_NULL) {
        hostname = self->server;
    }
    mp_obj_t dest[2 + 3];
    mp_load_method(ctx, MP_QSTR_wrap_socket, dest);
    dest[2] = sock;
    dest[3] = MP_OBJ_NEW_QSTR(MP_QSTR_server_hostname);
    dest[4] = hostname;
    return mp_call_method_n_kw(1, 1, dest);
}


// A failed TLS handshake as the script should see it: MQTTException naming
// the cause ("TLS: server certificate rejected: ...expired"), where the TLS
// module raised a bare ValueError with a blank first line, or an errno the
// port cannot name (EPIPE). Timeouts stay OSError(ETIMEDOUT).
NORETURN static void raise_tls_failure(mp_obj_t exc) {
    const char *prefix = NULL;
    if (umqtt_is_exception(exc, &mp_type_ValueError)) {
        prefix = "TLS: server certificate rejected: ";
    } else if (umqtt_is_exception(exc, &mp_type_OSError)) {
        int err = umqtt_errno_of(exc);
        if (err == MP_EPIPE || err == MP_ECONNRESET || err == MP_ECONNABORTED) {
            prefix = "TLS handshake failed: connection closed by the broker: ";
        }
    }
    if (prefix == NULL) {
        nlr_raise(exc);
    }
    mp_obj_t text = mp_obj_str_make_new(&mp_type_str, 1, 0, &exc);
    size_t len;
    const char *str = mp_obj_str_get_data(text, &len);
    while (len > 0 && unichar_isspace(str[0])) {
        ++str;
        --len;
    }
    while (len > 0 && unichar_isspace(str[len - 1])) {
        --len;
    }
    vstr_t msg;
    vstr_init(&msg, strlen(prefix) + len + 1);
    vstr_add_str(&msg, prefix);
    vstr_add_strn(&msg, str, len);
    umqtt_raise_code(-1, vstr_null_terminated_str(&msg));
}

static mp_obj_t wrap_tls_or_raise(umqtt_client_obj_t *self, mp_obj_t sock) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mp_obj_t stream = wrap_tls(self, sock);
        nlr_pop();
        return stream;
    }
    raise_tls_failure(MP_OBJ_FROM_PTR(nlr.ret_val));
}

#endif

static void set_blocking(mp_obj_t obj, bool blocking) {
    mp_obj_t arg = mp_obj_new_bool(blocking);
    call_method(obj, MP_QSTR_setblocking, 1, &arg);
}

// A stream the application handed us (transport=) runs Python code in its
// read/write/ioctl: its exceptions become error codes here, so the client
// treats them as a lost connection (BaseExceptions such as KeyboardInterrupt
// still propagate).
typedef enum { CALL_READ, CALL_WRITE, CALL_IOCTL } stream_call_t;

static mp_uint_t stream_call_raw(mp_obj_t stream, stream_call_t op, void *buf, mp_uint_t arg, int *errcode) {
    const mp_stream_p_t *p = mp_get_stream(stream);
    if (p == NULL || (op == CALL_IOCTL && p->ioctl == NULL)) {
        *errcode = MP_EINVAL;
        return MP_STREAM_ERROR;
    }
    switch (op) {
        case CALL_READ:
            return p->read(stream, buf, arg, errcode);
        case CALL_WRITE:
            return p->write(stream, buf, arg, errcode);
        default:
            return p->ioctl(stream, arg, (uintptr_t)buf, errcode);
    }
}

static mp_uint_t stream_call(mp_obj_t stream, bool protect, stream_call_t op, void *buf, mp_uint_t arg, int *errcode) {
    if (!protect) {
        return stream_call_raw(stream, op, buf, arg, errcode);
    }
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mp_uint_t ret = stream_call_raw(stream, op, buf, arg, errcode);
        nlr_pop();
        return ret;
    }
    mp_obj_t exc = MP_OBJ_FROM_PTR(nlr.ret_val);
    if (!umqtt_is_exception(exc, &mp_type_Exception)) {
        nlr_jump(nlr.ret_val);
    }
    int err = umqtt_errno_of(exc);
    *errcode = err != 0 ? err : MP_EIO;
    return MP_STREAM_ERROR;
}

// Whether the stream is transport='s. Without sockets or asyncio mode there
// is no other (umqtt_io_open refuses to open one without transport=).
static bool is_app_stream(umqtt_client_obj_t *self) {
    return (!MICROPY_PY_UMQTT_NET && !MICROPY_PY_UMQTT_AIO) || self->transport != mp_const_none;
}

int umqtt_io_fileno(mp_obj_t sock) {
    int err;
    mp_uint_t fd = stream_call_raw(sock, CALL_IOCTL, NULL, MP_STREAM_GET_FILENO, &err);
    return fd == MP_STREAM_ERROR ? -1 : (int)fd;
}

// The application's transport: transport() returns a connected stream (a
// socket, a UART, an io.IOBase subclass...); TLS wraps it when ssl is on.
static void open_app_stream(umqtt_client_obj_t *self, umqtt_link_t *link) {
    mp_obj_t raw = mp_call_function_0(self->transport);
    mp_obj_t stream = raw;
    #if MICROPY_PY_UMQTT_NET                // else ssl is always False (umqtt_ssl_arg)
    if (self->ssl != mp_const_false && self->ssl != mp_const_none) {
        stream = wrap_tls_or_raise(self, raw);
    }
    #endif
    mp_get_stream_raise(stream, MP_STREAM_OP_READ | MP_STREAM_OP_WRITE);
    mp_obj_t dest[2];
    mp_load_method_maybe(stream, MP_QSTR_setblocking, dest);
    if (dest[0] != MP_OBJ_NULL) {
        set_blocking(stream, false);
    }
    link->sock = raw;
    link->stream = stream;
    link->fd = -1;
}

// Open the transport within `timeout_ms` (TCP connect and TLS handshake;
// name resolution cannot be bounded through the port's getaddrinfo).
void umqtt_io_open(umqtt_client_obj_t *self, uint32_t timeout_ms, umqtt_link_t *link) {
    if (self->transport != mp_const_none) {
        open_app_stream(self, link);
        return;
    }
    #if MICROPY_PY_UMQTT_NET
    mp_obj_t socket = import_module(MP_QSTR_socket);
    // ipvtype=1 (QuecPython): the server's IPv6 address; else whatever the
    // name resolves to first.
    mp_obj_t args[3] = { self->server, MP_OBJ_NEW_SMALL_INT(self->port) };
    size_t n_args = 2;
    if (self->ipvtype == 1) {
        args[n_args++] = mp_load_attr(socket, MP_QSTR_AF_INET6);
    }
    mp_obj_t infos = mp_call_function_n_kw(mp_load_attr(socket, MP_QSTR_getaddrinfo), n_args, 0, args);
    size_t n_infos;
    mp_obj_t *info_list;
    mp_obj_get_array(infos, &n_infos, &info_list);
    if (n_infos == 0) {
        mp_raise_OSError(MP_EHOSTUNREACH);
    }
    size_t n_fields;
    mp_obj_t *info;
    mp_obj_get_array(info_list[0], &n_fields, &info);
    if (n_fields < 5) {
        mp_raise_OSError(MP_EHOSTUNREACH);
    }
    args[0] = info[0];
    args[1] = info[1];
    args[2] = info[2];
    mp_obj_t sock = mp_call_function_n_kw(mp_load_attr(socket, MP_QSTR_socket), 3, 0, args);

    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        // TCP connect and TLS handshake are bounded by the client's timeout.
        mp_obj_t t = timeout_seconds(timeout_ms);
        call_method(sock, MP_QSTR_settimeout, 1, &t);
        call_method(sock, MP_QSTR_connect, 1, &info[4]);
        set_nodelay(sock);
        mp_obj_t stream = sock;
        if (self->ssl != mp_const_false && self->ssl != mp_const_none) {
            stream = wrap_tls_or_raise(self, sock);
        }
        mp_get_stream_raise(stream, MP_STREAM_OP_READ | MP_STREAM_OP_WRITE | MP_STREAM_OP_IOCTL);
        set_blocking(stream, false);
        nlr_pop();
        link->sock = sock;
        link->stream = stream;
        link->fd = umqtt_io_fileno(sock);
    } else {
        int err;
        stream_call_raw(sock, CALL_IOCTL, NULL, MP_STREAM_CLOSE, &err);
        nlr_jump(nlr.ret_val);
    }
    #else
    (void)timeout_ms;
    mp_raise_ValueError(MP_ERROR_TEXT("no socket on this port: use transport="));
    #endif
}

void umqtt_io_close(umqtt_client_obj_t *self) {
    int err;
    bool protect = is_app_stream(self);
    if (self->stream != MP_OBJ_NULL) {
        stream_call(self->stream, protect, CALL_IOCTL, NULL, MP_STREAM_CLOSE, &err);
    }
    if (self->sock != MP_OBJ_NULL && self->sock != self->stream) {
        stream_call(self->sock, protect, CALL_IOCTL, NULL, MP_STREAM_CLOSE, &err);
    }
    self->stream = MP_OBJ_NULL;
    self->sock = MP_OBJ_NULL;
    self->fd = -1;
    self->rx_start = self->rx_end = 0;
    umqtt_body_clear(self);         // a payload cut short: the broker sends its message again
    self->tail_at = self->tail_end = 0;     // the rest of a packet dies with its transport
}

// The client reads and writes its socket without blocking and does its own
// waiting (umqtt_io_wait), bounded by its timeout. A script may have changed
// the socket's mode since: micropython-lib scripts call
// client.sock.setblocking(True) or client.sock.settimeout(x) after
// connect(), and then a read blocks with the mutex held (check_msg() with
// it) or times out into a lost connection. So the mode is set back before
// the socket is used: where the descriptor shows it (one fcntl), only when
// it changed; elsewhere each time (a field store in lwIP's socket). Through
// the socket object, which keeps its own record of the mode. Only once the
// script has read client.sock (sock_lent): nobody else can change the mode,
// and a client whose socket was never handed out pays nothing per call. A
// transport= stream is the application's own to configure, and umqtt.aio
// (nb) reads sock for its poller only, never handing it to the script.
#if MICROPY_PY_UMQTT_NET
void umqtt_io_keep_nonblocking(umqtt_client_obj_t *self) {
    if (!self->sock_lent || self->nb || self->stream == MP_OBJ_NULL || is_app_stream(self)) {
        return;
    }
    #if UMQTT_HAVE_POLL
    if (self->fd >= 0) {
        int flags = fcntl(self->fd, F_GETFL);
        if (flags == -1 || (flags & O_NONBLOCK)) {
            return;
        }
    }
    #endif
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        set_blocking(self->stream, false);
        nlr_pop();
    } else if (!umqtt_is_exception(MP_OBJ_FROM_PTR(nlr.ret_val), &mp_type_Exception)) {
        nlr_jump(nlr.ret_val);
    }
    // A socket that refuses (closed under the client): the read or write
    // that follows reports it as a lost connection.
}
#endif

// Wait until the transport is probably readable (or writable) or wait_ms has
// passed. Never raises: pending exceptions are handled by the caller once it
// holds no lock.
void umqtt_io_wait(umqtt_client_obj_t *self, mp_obj_t stream, int fd, bool for_write, uint32_t wait_ms) {
    #if UMQTT_HAVE_POLL
    if (fd >= 0 || stream == MP_OBJ_NULL) {
        struct pollfd pfd = { .fd = fd, .events = for_write ? POLLOUT : POLLIN };
        MP_THREAD_GIL_EXIT();
        poll(&pfd, fd >= 0 ? 1 : 0, (int)wait_ms);
        MP_THREAD_GIL_ENTER();
        return;
    }
    #else
    if (stream == MP_OBJ_NULL) {
        mp_hal_delay_us(wait_ms * 1000);
        return;
    }
    #endif
    // A stream without a descriptor: ask it, then sleep a little.
    int err;
    mp_uint_t flags = for_write ? MP_STREAM_POLL_WR : MP_STREAM_POLL_RD;
    mp_uint_t ret = stream_call(stream, is_app_stream(self), CALL_IOCTL, (void *)flags, MP_STREAM_POLL, &err);
    if (ret != MP_STREAM_ERROR && !(ret & (flags | MP_STREAM_POLL_ERR | MP_STREAM_POLL_HUP))) {
        mp_hal_delay_us(wait_ms < 1 ? wait_ms * 1000 : 1000);
    }
}

// Write the whole packet; with the mutex held, so packets never interleave.
// Returns 0 or an errno (MP_ETIMEDOUT when the peer stops reading for
// `timeout_ms`).
int umqtt_io_write_all(umqtt_client_obj_t *self, const uint8_t *buf, size_t len, uint32_t timeout_ms) {
    bool waited = false;
    uint32_t deadline = 0;
    for (;;) {
        size_t n;
        int err = umqtt_io_write_some(self, buf, len, &n);
        if (err != 0 || n == len) {
            return err;
        }
        buf += n;
        len -= n;
        if (!waited) {
            // The clock is read only when the peer stops reading.
            waited = true;
            deadline = umqtt_now_ms() + timeout_ms;
        } else if (umqtt_deadline_passed(deadline)) {
            return MP_ETIMEDOUT;
        }
        umqtt_io_wait(self, self->stream, self->fd, true, 20);
    }
}

// asyncio mode: write what the stream takes now, never waiting. Returns 0
// (with *written, possibly less than len: the socket is full) or an errno.
int umqtt_io_write_some(umqtt_client_obj_t *self, const uint8_t *buf, size_t len, size_t *written) {
    *written = 0;
    if (self->stream == MP_OBJ_NULL) {
        return MP_ENOTCONN;
    }
    bool protect = is_app_stream(self);
    while (len > 0) {
        int err = 0;
        mp_uint_t n = stream_call(self->stream, protect, CALL_WRITE, (void *)buf, len, &err);
        if (n == MP_STREAM_ERROR) {
            return mp_is_nonblocking_error(err) ? 0 : err;
        }
        if (n == 0) {
            return MP_ECONNRESET;
        }
        if (n > len) {
            return MP_EIO;      // a stream that claims more than it was given
        }
        buf += n;
        len -= n;
        *written += n;
    }
    return 0;
}

// One non-blocking read. Returns bytes read, 0 at end of stream, or -1 with
// *errcode set (MP_EAGAIN when nothing is there yet).
mp_int_t umqtt_io_read_some(umqtt_client_obj_t *self, uint8_t *buf, size_t len, int *errcode) {
    if (self->stream == MP_OBJ_NULL) {
        *errcode = MP_ENOTCONN;
        return -1;
    }
    mp_uint_t n = stream_call(self->stream, is_app_stream(self), CALL_READ, buf, len, errcode);
    if (n == MP_STREAM_ERROR) {
        return -1;
    }
    if (n > len) {
        *errcode = MP_EIO;      // a stream that claims more than the buffer holds
        return -1;
    }
    return (mp_int_t)n;
}

// The stream poll request, so select.poll() and asyncio wait on the client:
// readable when a whole packet is already buffered, else as its transport
// (a TLS stream counts what it holds decrypted).
static mp_uint_t client_ioctl(mp_obj_t self_in, mp_uint_t request, uintptr_t arg, int *errcode) {
    if (request != MP_STREAM_POLL) {
        *errcode = MP_EINVAL;
        return MP_STREAM_ERROR;
    }
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    bool buffered = self->rx_whole;        // a message left unread counts: it is whole
    mp_obj_t stream = self->stream;
    umqtt_unlock(&guard);
    mp_uint_t ready = buffered ? (arg & MP_STREAM_POLL_RD) : 0;
    const mp_stream_p_t *p = stream != MP_OBJ_NULL ? mp_get_stream(stream) : NULL;
    if (p != NULL && p->ioctl != NULL) {
        mp_uint_t r = p->ioctl(stream, MP_STREAM_POLL, arg, errcode);
        if (r == MP_STREAM_ERROR) {
            return ready != 0 ? ready : MP_STREAM_ERROR;
        }
        ready |= r;
    }
    return ready;
}

const mp_stream_p_t umqtt_client_stream_p = {
    .ioctl = client_ioctl,
};

#endif // MICROPY_PY_UMQTT
