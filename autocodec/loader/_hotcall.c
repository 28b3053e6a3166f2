/* autocodec.loader._hotcall: one top-level ABI call on a reusable instance, in one C call.
 *
 * The pure-Python path (loader/_instance.py: ``GuestInstance.call`` then ``reset``) makes about
 * a dozen ctypes calls per operation (fuel, deadline, ac_input, memory size, copy in, the
 * operation, memory size, copy out, page restores, madvise, globals); each costs about a
 * microsecond of marshalling. ``Runner.run`` does the same steps, in the same order, with the
 * same checks, calling the same wasmtime C functions (their addresses come from wasmtime-py's
 * own library through ``bind``: this file links against nothing but libc and Python).
 *
 * Invariants:
 * - The fast outcome is the bytes of a call whose status was OK, after which the instance is
 *   back in its recorded state. Every other outcome is a tuple (see RESULT_* below) from which
 *   Python raises exactly the error the pure-Python path raises; no guest number is trusted
 *   (input pointer, result slot, result ptr + len are checked against the memory size, len
 *   against max_output, before any byte is read or written).
 * - The restore list (pages to memset/memcpy, ranges to madvise, globals to set) is the one
 *   Python computed (``set_reset``); it is applied only when the memory size equals the size
 *   it was computed for (a memory never shrinks, so the addresses are still valid then).
 * - The GIL is released while the guest runs (other threads, and the epoch ticker that
 *   enforces deadlines, go on); ``run``'s short restore keeps it, while ``hash_frames`` (many
 *   calls in one) restores between its calls without it. One thread uses a Runner at a
 *   time (its instance is owned by the calling thread for the operation).
 * - ``hash_frames`` holds its own references to the inputs it reads while the GIL is
 *   released, so no other thread can free them under it.
 * - Pointers handed to ``Runner`` (context, memory, functions, snapshot pages, globals) belong
 *   to Python objects that the Runner keeps alive (``keep``) for as long as it lives.
 * - ``frame`` and ``frame_packed`` build the batch frame ``_adapters._frame`` builds, byte for
 *   byte; they call no guest and need no ``bind``.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

typedef union {
    int32_t i32;
    int64_t i64;
    uint8_t v128[16];
    void *ref;
} raw_val; /* wasmtime_val_raw_t: 16 bytes */

typedef void *(*call_fn)(void *ctx, const void *func, raw_val *raw, size_t n, void **trap);
typedef void *(*set_fuel_fn)(void *ctx, uint64_t fuel);
typedef void (*set_deadline_fn)(void *ctx, uint64_t ticks);
typedef uint8_t *(*mem_data_fn)(const void *ctx, const void *mem);
typedef size_t (*mem_size_fn)(const void *ctx, const void *mem);
typedef void *(*global_set_fn)(void *ctx, const void *global, const void *value);

static call_fn api_call;
static set_fuel_fn api_set_fuel;
static set_deadline_fn api_set_deadline;
static mem_data_fn api_mem_data;
static mem_size_fn api_mem_size;
static global_set_fn api_global_set;

enum {
    RESULT_TRAP = 1,        /* (1, step, error_ptr, trap_ptr): step 0 = ac_input, 1 = the operation */
    RESULT_INPUT_NULL = 2,  /* (2,): ac_input returned 0 */
    RESULT_INPUT_OOB = 3,   /* (3, ptr): the input would not fit in memory at ptr */
    RESULT_OUT_LARGE = 4,   /* (4, length): over max_output */
    RESULT_OUT_OOB = 5,     /* (5, ptr, length, memory_size) */
    RESULT_STATUS = 6,      /* (6, status, output): a non-OK status; not reset */
    RESULT_NOT_RESET = 7,   /* (7, output, error_ptr): OK, but the instance could not be reset */
    RESULT_FUEL = 8,        /* (8, error_ptr): setting the fuel failed */
};

typedef struct {
    int zero;
    uint8_t *dst;
    const uint8_t *src;
    size_t len;
} restore_op;

typedef struct {
    void *addr;
    size_t len;
} drop_op;

typedef struct {
    const void *global;
    const void *value;
} global_op;

typedef struct {
    PyObject_HEAD
    void *ctx;
    const void *memory;
    const void *input_func;
    size_t slot;
    size_t max_output;
    size_t reset_size;
    restore_op *restores;
    Py_ssize_t n_restores;
    drop_op *drops;
    Py_ssize_t n_drops;
    global_op *globals;
    Py_ssize_t n_globals;
    PyObject *keep;       /* what the context, memory and functions belong to */
    PyObject *reset_keep; /* what the restore list's snapshot pages and globals belong to */
} Runner;

static void *as_ptr(PyObject *obj) {
    return PyLong_AsVoidPtr(obj);
}

static int Runner_init(Runner *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"context", "memory", "input_func", "slot", "max_output", "keep", NULL};
    PyObject *ctx, *mem, *input;
    Py_ssize_t slot, max_output;
    PyObject *keep;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOnnO", kwlist, &ctx, &mem, &input, &slot, &max_output, &keep))
        return -1;
    if (!api_call) {
        PyErr_SetString(PyExc_RuntimeError, "bind() the wasmtime functions first");
        return -1;
    }
    self->ctx = as_ptr(ctx);
    self->memory = as_ptr(mem);
    self->input_func = as_ptr(input);
    if (PyErr_Occurred())
        return -1;
    if (slot < 0 || max_output < 0) {
        PyErr_SetString(PyExc_ValueError, "negative slot or max_output");
        return -1;
    }
    self->slot = (size_t)slot;
    self->max_output = (size_t)max_output;
    Py_INCREF(keep);
    Py_XSETREF(self->keep, keep);
    return 0;
}

static void Runner_clear_reset(Runner *self) {
    PyMem_Free(self->restores);
    PyMem_Free(self->drops);
    PyMem_Free(self->globals);
    self->restores = NULL;
    self->drops = NULL;
    self->globals = NULL;
    self->n_restores = self->n_drops = self->n_globals = 0;
    self->reset_size = 0;
}

static void Runner_dealloc(Runner *self) {
    Runner_clear_reset(self);
    Py_XDECREF(self->reset_keep);
    Py_XDECREF(self->keep);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* set_reset(size, restores, drops, globals, keep): restores [(zero, dst, src, len)], drops
 * [(addr, len)], globals [(global_addr, value_addr)]; all addresses as ints. */
static PyObject *Runner_set_reset(Runner *self, PyObject *args) {
    Py_ssize_t size;
    PyObject *restores, *drops, *globals, *keep;
    if (!PyArg_ParseTuple(args, "nO!O!O!O", &size, &PyList_Type, &restores, &PyList_Type, &drops, &PyList_Type,
                          &globals, &keep))
        return NULL;
    Runner_clear_reset(self);
    Py_ssize_t nr = PyList_GET_SIZE(restores), nd = PyList_GET_SIZE(drops), ng = PyList_GET_SIZE(globals);
    self->restores = PyMem_Calloc((size_t)(nr ? nr : 1), sizeof(restore_op));
    self->drops = PyMem_Calloc((size_t)(nd ? nd : 1), sizeof(drop_op));
    self->globals = PyMem_Calloc((size_t)(ng ? ng : 1), sizeof(global_op));
    if (!self->restores || !self->drops || !self->globals) {
        Runner_clear_reset(self);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < nr; i++) {
        PyObject *item = PyList_GET_ITEM(restores, i);
        int zero;
        PyObject *dst, *src;
        Py_ssize_t len;
        if (!PyArg_ParseTuple(item, "pOOn", &zero, &dst, &src, &len))
            goto fail;
        self->restores[i] = (restore_op){zero, as_ptr(dst), as_ptr(src), (size_t)len};
    }
    for (Py_ssize_t i = 0; i < nd; i++) {
        PyObject *addr;
        Py_ssize_t len;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(drops, i), "On", &addr, &len))
            goto fail;
        self->drops[i] = (drop_op){as_ptr(addr), (size_t)len};
    }
    for (Py_ssize_t i = 0; i < ng; i++) {
        PyObject *g, *v;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(globals, i), "OO", &g, &v))
            goto fail;
        self->globals[i] = (global_op){as_ptr(g), as_ptr(v)};
    }
    if (PyErr_Occurred())
        goto fail;
    self->n_restores = nr;
    self->n_drops = nd;
    self->n_globals = ng;
    self->reset_size = (size_t)size;
    Py_INCREF(keep);
    Py_XSETREF(self->reset_keep, keep);
    Py_RETURN_NONE;
fail:
    Runner_clear_reset(self);
    return NULL;
}

static uint32_t load_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store_le32(uint8_t *p, uint32_t v) { /* Wasm memory is little endian, whatever the host */
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Back to the recorded state; returns NULL on success, else a wasmtime error pointer or
 * (void *)1 for a failure without one. Uses no Python API (``hash_frames`` runs it with the
 * GIL released). */
static void *restore(Runner *self) {
    if (!self->reset_size || api_mem_size(self->ctx, self->memory) != self->reset_size)
        return (void *)1;
    for (Py_ssize_t i = 0; i < self->n_restores; i++) {
        restore_op *op = &self->restores[i];
        if (op->zero)
            memset(op->dst, 0, op->len);
        else
            memcpy(op->dst, op->src, op->len);
    }
    for (Py_ssize_t i = 0; i < self->n_drops; i++)
        if (madvise(self->drops[i].addr, self->drops[i].len, MADV_DONTNEED))
            return (void *)1;
    for (Py_ssize_t i = 0; i < self->n_globals; i++) {
        void *err = api_global_set(self->ctx, self->globals[i].global, self->globals[i].value);
        if (err)
            return err;
    }
    return NULL;
}

static PyObject *ptr_or_none(void *p) {
    return p ? PyLong_FromVoidPtr(p) : Py_NewRef(Py_None);
}

/* run(func, data, fuel, ticks, reset) -> bytes | tuple (see RESULT_*). */
static PyObject *Runner_run(Runner *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "run(func, data, fuel, ticks, reset)");
        return NULL;
    }
    const void *func = PyLong_AsVoidPtr(args[0]);
    unsigned long long fuel = PyLong_AsUnsignedLongLong(args[2]);
    unsigned long long ticks = PyLong_AsUnsignedLongLong(args[3]);
    int want_reset = PyObject_IsTrue(args[4]);
    if (PyErr_Occurred())
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(args[1], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    size_t size = (size_t)view.len;
    if (size > INT32_MAX) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "input over 2 GiB");
        return NULL;
    }
    raw_val raw[2];
    void *trap = NULL, *err = NULL;
    int result = 0, step = 0;
    uint32_t ptr = 0, status = 0, out_ptr = 0, out_len = 0;
    size_t msize = 0;
    uint8_t *base = NULL;

    Py_BEGIN_ALLOW_THREADS
    err = api_set_fuel(self->ctx, fuel);
    if (err) {
        result = RESULT_FUEL;
        goto done;
    }
    api_set_deadline(self->ctx, ticks);
    raw[0].i64 = 0;
    raw[0].i32 = (int32_t)size;
    err = api_call(self->ctx, self->input_func, raw, 1, &trap);
    if (err || trap) {
        result = RESULT_TRAP;
        goto done;
    }
    ptr = (uint32_t)raw[0].i32;
    if (ptr == 0) {
        result = RESULT_INPUT_NULL;
        goto done;
    }
    msize = api_mem_size(self->ctx, self->memory);
    base = api_mem_data(self->ctx, self->memory);
    if ((size_t)ptr + size > msize) {
        result = RESULT_INPUT_OOB;
        goto done;
    }
    if (size)
        memcpy(base + ptr, view.buf, size);
    raw[0].i64 = 0;
    raw[0].i32 = (int32_t)ptr;
    raw[1].i64 = 0;
    raw[1].i32 = (int32_t)size;
    step = 1;
    err = api_call(self->ctx, func, raw, 2, &trap);
    if (err || trap) {
        result = RESULT_TRAP;
        goto done;
    }
    status = (uint32_t)raw[0].i32;
    msize = api_mem_size(self->ctx, self->memory);
    base = api_mem_data(self->ctx, self->memory);
    if (self->slot + 8 > msize) { /* checked at instantiation; memories never shrink */
        result = RESULT_OUT_OOB;
        goto done;
    }
    out_ptr = load_le32(base + self->slot);
    out_len = load_le32(base + self->slot + 4);
    if (out_len > self->max_output)
        result = RESULT_OUT_LARGE;
    else if ((size_t)out_ptr + out_len > msize)
        result = RESULT_OUT_OOB;
done:;
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);

    switch (result) {
    case RESULT_FUEL:
        return Py_BuildValue("(iN)", result, PyLong_FromVoidPtr(err));
    case RESULT_TRAP:
        return Py_BuildValue("(iiNN)", result, step, ptr_or_none(err), ptr_or_none(trap));
    case RESULT_INPUT_NULL:
        return Py_BuildValue("(i)", result);
    case RESULT_INPUT_OOB:
        return Py_BuildValue("(ik)", result, (unsigned long)ptr);
    case RESULT_OUT_LARGE:
        return Py_BuildValue("(ik)", result, (unsigned long)out_len);
    case RESULT_OUT_OOB:
        return Py_BuildValue("(ikkn)", result, (unsigned long)out_ptr, (unsigned long)out_len, (Py_ssize_t)msize);
    default:
        break;
    }
    PyObject *out = PyBytes_FromStringAndSize(out_len ? (const char *)(base + out_ptr) : "", (Py_ssize_t)out_len);
    if (!out)
        return NULL;
    if (status != 0)
        return Py_BuildValue("(ikN)", RESULT_STATUS, (unsigned long)status, out);
    if (!want_reset)
        return out;
    /* The restore is short and bounded (a few pages, two madvise calls): done with the GIL
       held, since a release and re-acquire costs more than it when another thread waits. */
    void *failed = restore(self);
    if (!failed)
        return out;
    return Py_BuildValue("(iNN)", RESULT_NOT_RESET, out, failed == (void *)1 ? Py_NewRef(Py_None) : PyLong_FromVoidPtr(failed));
}

/* One hash frame's call inside ``Runner_hash_frames`` (GIL released): ``ac_input``, the
 * frame written in place (u32 count, then u32 length + bytes per item), the operation, the
 * output checked (status OK, count equal digests inside memory, each of ``*digest`` bytes
 * unless that is still 0: a hash has one digest size, so a frame of other digests is wrong,
 * be it a lie about their size or about their count), the digests appended to ``*acc``,
 * ``*digest`` set, the instance restored. Returns 0, or 1 when this frame failed in any way (the
 * caller stops; the instance is then not trusted to be in its recorded state), with the
 * wasmtime error or trap it owns in ``*err`` / ``*trap`` (for Python to take and free). */
static int hash_one_frame(Runner *self, const void *func, const uint8_t *const *ptrs, const Py_ssize_t *lens,
                          Py_ssize_t count, size_t size, unsigned long long fuel, unsigned long long ticks,
                          uint8_t **acc, size_t *acc_len, size_t *acc_cap, size_t *digest, void **err, void **trap) {
    raw_val raw[2];
    if ((*err = api_set_fuel(self->ctx, fuel)) != NULL)
        return 1;
    api_set_deadline(self->ctx, ticks);
    raw[0].i64 = 0;
    raw[0].i32 = (int32_t)size;
    if ((*err = api_call(self->ctx, self->input_func, raw, 1, trap)) != NULL || *trap)
        return 1;
    uint32_t ptr = (uint32_t)raw[0].i32;
    size_t msize = api_mem_size(self->ctx, self->memory);
    uint8_t *base = api_mem_data(self->ctx, self->memory);
    if (ptr == 0 || (size_t)ptr + size > msize)
        return 1;
    uint8_t *w = base + ptr;
    store_le32(w, (uint32_t)count);
    w += 4;
    for (Py_ssize_t k = 0; k < count; k++) {
        uint32_t len = (uint32_t)lens[k];
        store_le32(w, len);
        w += 4;
        if (len)
            memcpy(w, ptrs[k], len);
        w += len;
    }
    raw[0].i64 = 0;
    raw[0].i32 = (int32_t)ptr;
    raw[1].i64 = 0;
    raw[1].i32 = (int32_t)size;
    if ((*err = api_call(self->ctx, func, raw, 2, trap)) != NULL || *trap)
        return 1;
    uint32_t status = (uint32_t)raw[0].i32;
    msize = api_mem_size(self->ctx, self->memory);
    base = api_mem_data(self->ctx, self->memory);
    if (status != 0 || self->slot + 8 > msize)
        return 1;
    uint32_t out_ptr = load_le32(base + self->slot), out_len = load_le32(base + self->slot + 4);
    if (out_len > self->max_output || (size_t)out_ptr + out_len > msize || !out_len || out_len % (uint32_t)count)
        return 1;
    if (*digest && out_len / (uint32_t)count != *digest)
        return 1;
    if (*acc_len + out_len > *acc_cap) {
        size_t cap = *acc_cap ? *acc_cap : 4096;
        while (cap < *acc_len + out_len)
            cap *= 2;
        uint8_t *grown = PyMem_RawRealloc(*acc, cap);
        if (!grown)
            return 1;
        *acc = grown;
        *acc_cap = cap;
    }
    memcpy(*acc + *acc_len, base + out_ptr, out_len);
    *acc_len += out_len;
    *digest = out_len / (uint32_t)count;
    void *failed = restore(self);
    if (failed && failed != (void *)1)
        *err = failed;
    return failed != NULL;
}

/* hash_frames(func, items, start, most_items, most_bytes, big_item, max_frames, fuel, ticks[, digest])
 *   -> (end, frames, digests, failed)
 *
 * ``ac_hash_batch`` over ``items[start:]`` (a list of bytes), frame after frame, in one C call
 * with the GIL released throughout the guest work: the same frames ``_adapters._frame_end`` cuts
 * (at most ``most_items`` inputs and ``most_bytes`` framed bytes each), stopping before an input
 * over ``big_item`` bytes (hashed on its own by the caller) or one that is not exactly bytes
 * (the caller converts it), after ``max_frames`` frames, or at the first frame that fails in
 * any way, a frame whose digests are not of ``digest`` bytes (0 or absent: the first
 * frame's size, which every later frame must have) included. ``digests`` holds one bytes
 * object per input of
 * the ``frames`` successful frames, ``items[start:end]``; ``failed`` is ``None``, or when the
 * frame at ``end`` failed, ``(error_ptr, trap_ptr)`` (wasmtime objects owned by the caller from
 * now on, each ``None`` when absent): the instance is then not reusable; the caller discards it
 * and runs that frame again on the checked path, which raises or falls back exactly as it
 * always did. Every frame is restored after its call, as ``run`` does. */
static PyObject *Runner_hash_frames(Runner *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 9 && nargs != 10) {
        PyErr_SetString(PyExc_TypeError,
                        "hash_frames(func, items, start, most_items, most_bytes, big_item, max_frames, fuel, ticks[, digest])");
        return NULL;
    }
    if (!PyList_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "items must be a list");
        return NULL;
    }
    const void *func = PyLong_AsVoidPtr(args[0]);
    Py_ssize_t start = PyLong_AsSsize_t(args[2]), most_items = PyLong_AsSsize_t(args[3]);
    Py_ssize_t most_bytes = PyLong_AsSsize_t(args[4]), big_item = PyLong_AsSsize_t(args[5]);
    Py_ssize_t max_frames = PyLong_AsSsize_t(args[6]);
    unsigned long long fuel = PyLong_AsUnsignedLongLong(args[7]);
    unsigned long long ticks = PyLong_AsUnsignedLongLong(args[8]);
    Py_ssize_t want = nargs == 10 ? PyLong_AsSsize_t(args[9]) : 0;
    if (PyErr_Occurred())
        return NULL;
    if (most_items < 1 || want < 0 || most_bytes < 8 || big_item < 0 || big_item + 8 > most_bytes || most_bytes > INT32_MAX ||
        start < 0 || max_frames < 0) {
        PyErr_SetString(PyExc_ValueError, "hash_frames: bad limits");
        return NULL;
    }
    /* Plan every frame with the GIL held (lengths only), then hold the planned items in a
       slice of their own: another thread changing the list cannot free them under us. */
    PyObject *list = args[1];
    Py_ssize_t n = PyList_GET_SIZE(list), i = start < n ? start : n, frames = 0;
    Py_ssize_t *bounds = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(max_frames + 1));
    if (!bounds)
        return PyErr_NoMemory();
    bounds[0] = i;
    int other = 0; /* an item that is not bytes: the frames stop before it */
    while (frames < max_frames && i < n && !other) {
        Py_ssize_t j = i, framed = 4;
        while (j < n && j - i < most_items) {
            PyObject *item = PyList_GET_ITEM(list, j);
            if (!PyBytes_CheckExact(item)) {
                other = 1;
                break;
            }
            Py_ssize_t len = PyBytes_GET_SIZE(item);
            if (len > big_item || framed + 4 + len > most_bytes)
                break;
            framed += 4 + len;
            j++;
        }
        if (j == i) /* an input over big_item (the caller hashes it alone), or not bytes */
            break;
        bounds[++frames] = i = j;
    }
    Py_ssize_t end = bounds[frames], total = end - bounds[0];
    PyObject *held = PyList_GetSlice(list, bounds[0], end);
    const uint8_t **ptrs = PyMem_Malloc(sizeof(uint8_t *) * (size_t)(total ? total : 1));
    Py_ssize_t *lens = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(total ? total : 1));
    if (!held || !ptrs || !lens) {
        Py_XDECREF(held);
        PyMem_Free(ptrs);
        PyMem_Free(lens);
        PyMem_Free(bounds);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t k = 0; k < total; k++) {
        PyObject *item = PyList_GET_ITEM(held, k);
        ptrs[k] = (const uint8_t *)PyBytes_AS_STRING(item);
        lens[k] = PyBytes_GET_SIZE(item);
    }
    size_t digest = (size_t)want; /* every frame's digests have this size once it is not 0 */
    uint8_t *acc = NULL;
    size_t acc_len = 0, acc_cap = 0;
    Py_ssize_t done = 0;
    int failed = 0;
    void *err = NULL, *trap = NULL;

    Py_BEGIN_ALLOW_THREADS
    for (; done < frames; done++) {
        Py_ssize_t a = bounds[done] - bounds[0], b = bounds[done + 1] - bounds[0];
        size_t size = 4;
        for (Py_ssize_t k = a; k < b; k++)
            size += 4 + (size_t)lens[k];
        if (hash_one_frame(self, func, ptrs + a, lens + a, b - a, size, fuel, ticks, &acc, &acc_len, &acc_cap,
                           &digest, &err, &trap)) {
            failed = 1;
            break;
        }
    }
    Py_END_ALLOW_THREADS

    Py_ssize_t handled = bounds[done] - bounds[0];
    PyObject *digests = PyList_New(handled);
    if (digests) {
        size_t pos = 0;
        Py_ssize_t k = 0;
        for (Py_ssize_t f = 0; f < done && digests; f++) {
            for (Py_ssize_t m = bounds[f]; m < bounds[f + 1]; m++, k++) {
                PyObject *d = PyBytes_FromStringAndSize((const char *)acc + pos, (Py_ssize_t)digest);
                if (!d) {
                    Py_CLEAR(digests);
                    break;
                }
                PyList_SET_ITEM(digests, k, d);
                pos += digest;
            }
        }
    }
    Py_ssize_t stop = bounds[done];
    PyMem_RawFree(acc);
    PyMem_Free(ptrs);
    PyMem_Free(lens);
    PyMem_Free(bounds);
    Py_DECREF(held);
    if (!digests) /* the wasmtime objects are leaked here: only when Python itself is out of memory */
        return NULL;
    if (!failed)
        return Py_BuildValue("(nnNO)", stop, done, digests, Py_None);
    return Py_BuildValue("(nnN(NN))", stop, done, digests, ptr_or_none(err), ptr_or_none(trap));
}

static PyMethodDef Runner_methods[] = {
    {"run", (PyCFunction)(void (*)(void))Runner_run, METH_FASTCALL, "One input + operation (+ reset): bytes or an outcome tuple."},
    {"set_reset", (PyCFunction)Runner_set_reset, METH_VARARGS, "The restore list for a memory of the given size."},
    {"hash_frames", (PyCFunction)(void (*)(void))Runner_hash_frames, METH_FASTCALL,
     "ac_hash_batch frame after frame, GIL released: (end, frames, digests, failed)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject RunnerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "autocodec.loader._hotcall.Runner",
    .tp_basicsize = sizeof(Runner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One instance's input + call + reset in one C call.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Runner_init,
    .tp_dealloc = (destructor)Runner_dealloc,
    .tp_methods = Runner_methods,
};

/* bind(call_unchecked, set_fuel, set_epoch_deadline, memory_data, memory_data_size, global_set) */
static PyObject *hot_bind(PyObject *mod, PyObject *args) {
    (void)mod;
    PyObject *a, *b, *c, *d, *e, *f;
    if (!PyArg_ParseTuple(args, "OOOOOO", &a, &b, &c, &d, &e, &f))
        return NULL;
    call_fn call = (call_fn)as_ptr(a);
    set_fuel_fn fuel = (set_fuel_fn)as_ptr(b);
    set_deadline_fn deadline = (set_deadline_fn)as_ptr(c);
    mem_data_fn data = (mem_data_fn)as_ptr(d);
    mem_size_fn size = (mem_size_fn)as_ptr(e);
    global_set_fn gset = (global_set_fn)as_ptr(f);
    if (PyErr_Occurred())
        return NULL;
    if (!call || !fuel || !deadline || !data || !size || !gset) {
        PyErr_SetString(PyExc_ValueError, "a null function address");
        return NULL;
    }
    api_call = call;
    api_set_fuel = fuel;
    api_set_deadline = deadline;
    api_mem_data = data;
    api_mem_size = size;
    api_global_set = gset;
    Py_RETURN_NONE;
}

/* --- batch frames (``_adapters._frame``): u32 count, then u32 length + bytes per item --------- */

static void put_u32le(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* frame(items) -> bytes | None: the batch frame of ``items``, a list of exactly bytes; None
 * when it is not one, or when the count or a length does not fit a u32 (Python's own path
 * decides then). The GIL is held throughout: the list cannot change between the two passes. */
static PyObject *hot_frame(PyObject *mod, PyObject *items) {
    (void)mod;
    if (!PyList_CheckExact(items))
        Py_RETURN_NONE;
    Py_ssize_t n = PyList_GET_SIZE(items);
    if ((size_t)n > UINT32_MAX)
        Py_RETURN_NONE;
    Py_ssize_t size = 4;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(items, i);
        if (!PyBytes_CheckExact(item))
            Py_RETURN_NONE;
        Py_ssize_t len = PyBytes_GET_SIZE(item);
        if ((size_t)len > UINT32_MAX || size > PY_SSIZE_T_MAX - 4 - len)
            Py_RETURN_NONE;
        size += 4 + len;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (!out)
        return NULL;
    uint8_t *p = (uint8_t *)PyBytes_AS_STRING(out);
    put_u32le(p, (uint32_t)n);
    p += 4;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(items, i);
        Py_ssize_t len = PyBytes_GET_SIZE(item);
        put_u32le(p, (uint32_t)len);
        memcpy(p + 4, PyBytes_AS_STRING(item), (size_t)len);
        p += 4 + len;
    }
    return out;
}

/* frame_packed(buffer, start, lengths) -> bytes: the batch frame of items lying back to back in
 * ``buffer`` from ``start``, their lengths the native unsigned 64-bit integers of ``lengths``
 * (``array("Q").tobytes()``): the same bytes as framing the items cut out one by one.
 * ValueError when the items pass the buffer's end or a length does not fit a u32. */
static PyObject *hot_frame_packed(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    (void)mod;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "frame_packed(buffer, start, lengths)");
        return NULL;
    }
    Py_ssize_t start = PyLong_AsSsize_t(args[1]);
    if (start == -1 && PyErr_Occurred())
        return NULL;
    Py_buffer data, lens;
    if (PyObject_GetBuffer(args[0], &data, PyBUF_SIMPLE) < 0)
        return NULL;
    if (PyObject_GetBuffer(args[2], &lens, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&data);
        return NULL;
    }
    PyObject *out = NULL;
    const char *why = NULL;
    Py_ssize_t n = lens.len / (Py_ssize_t)sizeof(uint64_t);
    Py_ssize_t size = 4, total = 0;
    if (lens.len % (Py_ssize_t)sizeof(uint64_t) || (size_t)n > UINT32_MAX)
        why = "lengths is not a whole array of at most 2**32-1 unsigned 64-bit integers";
    else if (start < 0 || start > data.len)
        why = "start is outside the buffer";
    for (Py_ssize_t i = 0; !why && i < n; i++) {
        uint64_t len;
        memcpy(&len, (const uint8_t *)lens.buf + i * (Py_ssize_t)sizeof(uint64_t), sizeof len);
        if (len > UINT32_MAX)
            why = "an item is longer than a u32 can say";
        else if ((Py_ssize_t)len > data.len - start - total)
            why = "the items pass the end of the buffer";
        else {
            total += (Py_ssize_t)len;
            size += 4 + (Py_ssize_t)len;
        }
    }
    if (why) {
        PyErr_SetString(PyExc_ValueError, why);
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, size);
    if (!out)
        goto done;
    uint8_t *p = (uint8_t *)PyBytes_AS_STRING(out);
    const uint8_t *src = (const uint8_t *)data.buf + start;
    put_u32le(p, (uint32_t)n);
    p += 4;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t len;
        memcpy(&len, (const uint8_t *)lens.buf + i * (Py_ssize_t)sizeof(uint64_t), sizeof len);
        put_u32le(p, (uint32_t)len);
        memcpy(p + 4, src, (size_t)len);
        p += 4 + len;
        src += len;
    }
done:
    PyBuffer_Release(&lens);
    PyBuffer_Release(&data);
    return out;
}

static PyMethodDef module_methods[] = {
    {"bind", hot_bind, METH_VARARGS, "Bind the wasmtime C functions (addresses as ints)."},
    {"frame", hot_frame, METH_O, "The batch frame of a list of bytes, or None (see _adapters._frame)."},
    {"frame_packed", (PyCFunction)(void (*)(void))hot_frame_packed, METH_FASTCALL,
     "The batch frame of items back to back in a buffer, from their u64 lengths."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef hotcall_module = {
    PyModuleDef_HEAD_INIT, "_hotcall", "One top-level ABI call in one C call (see loader/_hot.py).", -1, module_methods,
};

PyMODINIT_FUNC PyInit__hotcall(void) {
    if (PyType_Ready(&RunnerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&hotcall_module);
    if (!m)
        return NULL;
    Py_INCREF(&RunnerType);
    if (PyModule_AddObject(m, "Runner", (PyObject *)&RunnerType) < 0) {
        Py_DECREF(&RunnerType);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddIntConstant(m, "RESULT_TRAP", RESULT_TRAP) || PyModule_AddIntConstant(m, "RESULT_INPUT_NULL", RESULT_INPUT_NULL) ||
        PyModule_AddIntConstant(m, "RESULT_INPUT_OOB", RESULT_INPUT_OOB) || PyModule_AddIntConstant(m, "RESULT_OUT_LARGE", RESULT_OUT_LARGE) ||
        PyModule_AddIntConstant(m, "RESULT_OUT_OOB", RESULT_OUT_OOB) || PyModule_AddIntConstant(m, "RESULT_STATUS", RESULT_STATUS) ||
        PyModule_AddIntConstant(m, "RESULT_NOT_RESET", RESULT_NOT_RESET) || PyModule_AddIntConstant(m, "RESULT_FUEL", RESULT_FUEL)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
