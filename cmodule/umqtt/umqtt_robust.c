// umqtt.robust.MQTTClient: micropython-lib's robust client, a subclass of
// umqtt.simple.MQTTClient that recovers from OSError through its own
// reconnect(), log() and delay().
//
// It is made at run time as a Python class (mp_obj_new_type) whose methods
// are the C functions below, not as a native type: a native method gets the
// native object, so `self.reconnect()` inside it would never reach a
// script's subclass that overrides reconnect() or log(). A class made this
// way hands its methods the instance itself, so overrides are the ones
// called, and DELAY/DEBUG are ordinary class attributes a script may set on
// the class or the instance. No compiler or frozen code is needed: the
// module comes with USER_C_MODULES alone. A firmware built with
// MICROPY_PY_UMQTT_FACES=0 leaves this file (and umqtt.simple) out.

#include "py/runtime.h"
#include "py/objtuple.h"
#include "py/mperrno.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT && MICROPY_PY_UMQTT_FACES

#include "umqtt.h"

#define CORE(self) umqtt_core(self)

static mp_obj_t call_self(mp_obj_t self, qstr name, size_t n_args, const mp_obj_t *args) {
    mp_obj_t dest[2 + 2];
    mp_load_method(self, name, dest);
    for (size_t i = 0; i < n_args; ++i) {
        dest[2 + i] = args[i];
    }
    return mp_call_method_n_kw(n_args, 0, dest);
}

// self.log(in_reconnect, e), as robust.py calls it on each OSError.
static void log_error(mp_obj_t self, bool in_reconnect, mp_obj_t exc) {
    mp_obj_t args[2] = { mp_obj_new_bool(in_reconnect), exc };
    call_self(self, MP_QSTR_log, 2, args);
}

static void reconnect(mp_obj_t self) {
    call_self(self, MP_QSTR_reconnect, 0, NULL);
}

// Runs `nlr` set up by the caller: returns the OSError caught, or re-raises
// anything else (MQTTException, KeyboardInterrupt, MemoryError).
static mp_obj_t os_error_or_raise(nlr_buf_t *nlr) {
    mp_obj_t exc = MP_OBJ_FROM_PTR(nlr->ret_val);
    if (!umqtt_is_exception(exc, &mp_type_OSError)) {
        nlr_jump(nlr->ret_val);
    }
    return exc;
}

typedef mp_obj_t (*self_fn_t)(mp_obj_t self);

// fn(self) under an exception handler: true with *out its result, or false
// with *out the OSError it raised; anything else propagates. The retry loops
// call this and keep no handler of their own, so no local of theirs changes
// between setting up a handler and a jump back to it.
static bool attempt(self_fn_t fn, mp_obj_t self, mp_obj_t *out) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        *out = fn(self);
        nlr_pop();
        return true;
    }
    *out = os_error_or_raise(&nlr);
    return false;
}

// self.connect(False), as micropython-lib's reconnect() calls it: through
// the instance, so a script's connect() override is the one called.
static mp_obj_t connect_resuming(mp_obj_t self) {
    mp_obj_t clean_session = mp_const_false;
    return call_self(self, MP_QSTR_connect, 1, &clean_session);
}

// log(in_reconnect, e): when DEBUG is true, prints what micropython-lib's
// print("mqtt reconnect: %r" % e) does, to where print() writes (mp_printf
// has no %r: it printed a literal "r").
static mp_obj_t robust_log(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_in_reconnect, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_e, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_val_t args[2];
    umqtt_parse_method_args(n_args, pos_args, kw_args, 2, allowed_args, args);
    mp_obj_t self = pos_args[0];
    mp_obj_t in_reconnect = args[0].u_obj;
    mp_obj_t e = args[1].u_obj;
    if (mp_obj_is_true(mp_load_attr(self, MP_QSTR_DEBUG))) {
        const mp_print_t *print = MP_PYTHON_PRINTER;
        mp_print_str(print, mp_obj_is_true(in_reconnect) ? "mqtt reconnect: " : "mqtt: ");
        mp_obj_print_helper(print, e, PRINT_REPR);
        mp_print_str(print, "\n");
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(robust_log_obj, 1, robust_log);

// reconnect(): connect(clean_session=False) until it works, logging and
// delaying after each OSError; returns the session-present flag.
static mp_obj_t robust_reconnect(mp_obj_t self) {
    for (mp_int_t i = 1;; ++i) {
        mp_obj_t r;
        if (attempt(connect_resuming, self, &r)) {
            return r;
        }
        log_error(self, true, r);
        mp_obj_t n = MP_OBJ_NEW_SMALL_INT(i);
        call_self(self, MP_QSTR_delay, 1, &n);
    }
}
static MP_DEFINE_CONST_FUN_OBJ_1(robust_reconnect_obj, robust_reconnect);

// A retried publish: the message, and the ticket once it is issued.
typedef struct {
    umqtt_command_t a;
    UmqttOp op;
    bool issued;
} robust_publish_t;

// One try: issue the message once, then wait on that same message (its
// packet identifier) across reconnects; a message withdrawn unsent is
// issued again. True when done.
static bool publish_try(umqtt_client_obj_t *c, robust_publish_t *p) {
    uint32_t deadline = umqtt_now_ms() + c->timeout_ms;
    bool fresh = !p->issued;
    if (!p->issued) {
        p->op = umqtt_issue(c, umqtt_publish_command, &p->a, deadline);
        if (p->a.qos == 0) {
            return true;
        }
        p->issued = true;
    }
    uint8_t code;
    UmqttStatus st = umqtt_wait_ticket(c, p->op.ticket, p->op.slot, deadline, &code, true, fresh);
    if (st == UMQTT_STATUS_REFUSED) {
        umqtt_raise_refused(c, code);   // MQTT 5: a PUBACK/PUBREC's failure code
    }
    if (st == UMQTT_STATUS_OK) {
        return true;
    }
    if (st == UMQTT_STATUS_UNKNOWN_TICKET) {
        p->issued = false;          // withdrawn unsent, or dropped: issue it again
        return false;
    }
    mp_raise_OSError(MP_ETIMEDOUT); // no acknowledgement in time: reconnect and wait on
}

// One try under an exception handler, its state kept in the caller's frame
// (locals changed between nlr_push and a jump are not to be trusted):
// mp_const_true when done, mp_const_false to try again at once, else the
// OSError to log before reconnecting. Other exceptions propagate, the
// message staying in flight.
static mp_obj_t publish_attempt(umqtt_client_obj_t *c, robust_publish_t *p) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        bool done = publish_try(c, p);
        nlr_pop();
        return mp_obj_new_bool(done);
    }
    if (!umqtt_is_exception(MP_OBJ_FROM_PTR(nlr.ret_val), &mp_type_OSError) && p->issued) {
        umqtt_forget(c, p->op.ticket);
    }
    return os_error_or_raise(&nlr);
}

// publish(): as umqtt.simple's, retried through reconnect() on OSError,
// without ever sending a second copy of a message already in flight.
static mp_obj_t robust_publish(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    mp_obj_t self = pos_args[0];
    umqtt_client_obj_t *c = umqtt_client_of(self);
    robust_publish_t p = { .issued = false };
    umqtt_publish_args(n_args, pos_args, kw_args, &p.a);
    for (;;) {
        mp_obj_t r = publish_attempt(c, &p);
        if (r == mp_const_true) {
            return mp_const_none;
        }
        if (r != mp_const_false) {
            log_error(self, false, r);
            reconnect(self);
        }
    }
}
static MP_DEFINE_CONST_FUN_OBJ_KW(robust_publish_obj, 1, robust_publish);

// fn(self) up to `attempts` times (< 0: until it works), reconnecting after
// each OSError; None when they are spent.
static mp_obj_t retried(self_fn_t fn, mp_obj_t self, mp_int_t attempts) {
    for (mp_int_t i = 0; attempts < 0 || i < attempts; ++i) {
        mp_obj_t r;
        if (attempt(fn, self, &r)) {
            return r;
        }
        log_error(self, false, r);
        reconnect(self);
    }
    return mp_const_none;
}

// wait_msg(): retried through reconnect() on OSError.
static mp_obj_t robust_wait_msg(mp_obj_t self) {
    return retried(umqtt_wait_msg_method, self, -1);
}
static MP_DEFINE_CONST_FUN_OBJ_1(robust_wait_msg_obj, robust_wait_msg);

// check_msg(attempts=2): up to `attempts` tries.
static mp_obj_t robust_check_msg(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_attempts, MP_ARG_INT, {.u_int = 2} },
    };
    mp_arg_val_t attempts;
    umqtt_parse_method_args(n_args, pos_args, kw_args, 1, allowed_args, &attempts);
    return retried(umqtt_check_msg_method, pos_args[0], attempts.u_int > 0 ? attempts.u_int : 0);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(robust_check_msg_obj, 1, robust_check_msg);

static MP_DEFINE_CONST_FUN_OBJ_KW(robust_delay_obj, 1, umqtt_delay_method);

// `cb`, umqtt.simple's attribute, as a property of the class: MicroPython
// stores an attribute of a Python class's instance in the instance's dict
// without asking the native base, so `c.cb = f` would shadow the client's
// callback instead of setting it. The property hands both ways to the
// client's own attribute (the flag a class gets for a property is
// inherited, so a script's subclass of this class is covered too).
static mp_obj_t robust_get_cb(mp_obj_t self) {
    return mp_load_attr(MP_OBJ_FROM_PTR(umqtt_client_of(self)), MP_QSTR_cb);
}
static MP_DEFINE_CONST_FUN_OBJ_1(robust_get_cb_obj, robust_get_cb);

static mp_obj_t robust_set_cb(mp_obj_t self, mp_obj_t f) {
    mp_store_attr(MP_OBJ_FROM_PTR(umqtt_client_of(self)), MP_QSTR_cb, f);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(robust_set_cb_obj, robust_set_cb);

// MicroPython calls a built-in function found in a Python class as a
// staticmethod (no self). These methods need the instance, so each is
// wrapped in an object of a type that binds self, as a Python def does.
typedef struct {
    mp_obj_base_t base;
    const mp_obj_base_t *fun;
} robust_method_t;

static mp_obj_t robust_method_call(mp_obj_t self_in, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    robust_method_t *m = MP_OBJ_TO_PTR(self_in);
    return mp_call_function_n_kw(MP_OBJ_FROM_PTR(m->fun), n_args, n_kw, args);
}

static MP_DEFINE_CONST_OBJ_TYPE(robust_method_type, MP_QSTR_function, MP_TYPE_FLAG_BINDS_SELF, call, robust_method_call);

#define ROBUST_METHOD(name, fun_obj) \
    static const robust_method_t name = { { &robust_method_type }, &fun_obj.base }
ROBUST_METHOD(robust_delay_method, robust_delay_obj);
ROBUST_METHOD(robust_log_method, robust_log_obj);
ROBUST_METHOD(robust_reconnect_method, robust_reconnect_obj);
ROBUST_METHOD(robust_publish_method, robust_publish_obj);
ROBUST_METHOD(robust_wait_msg_method, robust_wait_msg_obj);
ROBUST_METHOD(robust_check_msg_method, robust_check_msg_obj);

// The class's attributes, stored in this order into the dict it is made with.
static const mp_rom_map_elem_t robust_locals[] = {
    { MP_ROM_QSTR(MP_QSTR___module__), MP_ROM_QSTR(MP_QSTR_umqtt_dot_robust) },
    { MP_ROM_QSTR(MP_QSTR_DELAY), MP_ROM_INT(2) },
    { MP_ROM_QSTR(MP_QSTR_DEBUG), MP_ROM_FALSE },
    { MP_ROM_QSTR(MP_QSTR_delay), MP_ROM_PTR(&robust_delay_method) },
    { MP_ROM_QSTR(MP_QSTR_log), MP_ROM_PTR(&robust_log_method) },
    { MP_ROM_QSTR(MP_QSTR_reconnect), MP_ROM_PTR(&robust_reconnect_method) },
    { MP_ROM_QSTR(MP_QSTR_publish), MP_ROM_PTR(&robust_publish_method) },
    { MP_ROM_QSTR(MP_QSTR_wait_msg), MP_ROM_PTR(&robust_wait_msg_method) },
    { MP_ROM_QSTR(MP_QSTR_check_msg), MP_ROM_PTR(&robust_check_msg_method) },
};

// The class lives in a module made on first use and registered in
// sys.modules as "umqtt.robust" (where later imports find it): a soft reset
// starts a new sys.modules, so nothing outlives the heap it was made on.
mp_obj_t umqtt_robust_class(void) {
    mp_map_elem_t *loaded = mp_map_lookup(&MP_STATE_VM(mp_loaded_modules_dict).map,
        MP_OBJ_NEW_QSTR(MP_QSTR_umqtt_dot_robust), MP_MAP_LOOKUP);
    if (loaded != NULL && mp_obj_is_type(loaded->value, &mp_type_module)) {
        mp_map_elem_t *cls = mp_map_lookup(mp_obj_dict_get_map(MP_OBJ_FROM_PTR(mp_obj_module_get_globals(loaded->value))),
            MP_OBJ_NEW_QSTR(MP_QSTR_MQTTClient), MP_MAP_LOOKUP);
        if (cls != NULL) {
            return cls->value;
        }
    }
    mp_obj_t locals = mp_obj_new_dict(MP_ARRAY_SIZE(robust_locals));
    const mp_map_elem_t *e = (const mp_map_elem_t *)robust_locals;     // as MP_DEFINE_CONST_DICT reads it
    for (size_t i = 0; i < MP_ARRAY_SIZE(robust_locals); ++i) {
        mp_obj_dict_store(locals, e[i].key, e[i].value);
    }
    #if MICROPY_PY_BUILTINS_PROPERTY
    mp_obj_t accessors[2] = { MP_OBJ_FROM_PTR(&robust_get_cb_obj), MP_OBJ_FROM_PTR(&robust_set_cb_obj) };
    mp_obj_dict_store(locals, MP_OBJ_NEW_QSTR(MP_QSTR_cb),
        mp_call_function_n_kw(MP_OBJ_FROM_PTR(&mp_type_property), 2, 0, accessors));
    #endif
    mp_obj_t base = MP_OBJ_FROM_PTR(&umqtt_simple_client_type);
    mp_obj_t cls = mp_obj_new_type(MP_QSTR_MQTTClient, mp_obj_new_tuple(1, &base), locals);
    mp_obj_t module = mp_obj_new_module(MP_QSTR_umqtt_dot_robust);
    mp_obj_t globals = MP_OBJ_FROM_PTR(mp_obj_module_get_globals(module));
    mp_obj_dict_store(globals, MP_OBJ_NEW_QSTR(MP_QSTR_MQTTClient), cls);
    mp_obj_dict_store(globals, MP_OBJ_NEW_QSTR(MP_QSTR_MQTTException), MP_OBJ_FROM_PTR(&mp_type_MQTTException));
    return cls;
}

#endif // MICROPY_PY_UMQTT && MICROPY_PY_UMQTT_FACES
