/* autocodec.builtin._cscan: nesting-depth scans for CBOR and JSON, in C.
 *
 * Invariants:
 * - Both scans are iterative, read only inside the buffer (every length is checked against
 *   the bytes left) and allocate at most O(min(max_depth, len)) memory; they never recurse.
 * - cbor_exceeds(data, max_depth) -> 1 if an array/map is nested deeper than max_depth (the
 *   top-level container is depth 1), 0 if not, -1 if the headers are malformed (truncated,
 *   reserved or indefinite lengths). It does not validate anything else: callers run it on
 *   bytes that the strict decoder (cbrrr) has already accepted.
 * - cbor_scan(data, max_depth, budget) -> the same walk, also adding up go-ipld-prime's
 *   allocation gas (see GAS_*): 2 as soon as it passes ``budget`` (checked before a deeper
 *   nesting is reported only when met first), else as cbor_exceeds. With content false, string
 *   and byte-string values cost nothing (map keys still do): the structural gas alone, for
 *   output whose bytes are already capped by size.
 * - json_depth(data, max_depth) -> min(deepest nesting of JSON arrays/objects, max_depth + 1);
 *   brackets inside strings (including after backslash escapes) do not count. Malformed JSON
 *   is left to the parser that runs next.
 * - link(raw) -> a ``CID`` wrapping ``raw`` (bytes) after checking the same structure rules
 *   as ``autocodec.cid._check_structure`` (CIDv0 = 0x12 0x20 + 32 bytes; CIDv1 = 0x01, minimal
 *   varints of at most 9 bytes for codec, hash code and digest size, digest size <= 1024 and
 *   equal to the bytes left); ValueError otherwise. ``bind(CID)`` must be called first: it
 *   records the class and the offset of its ``_raw`` slot. Being C, it is called by cbrrr
 *   for every tag 42 without a Python frame.
 * - check(value, max_depth, flags) -> None if ``value`` is a tree of exact data-model types
 *   (dict with str keys, list, str, bytes, int, float, bool, None, the bound CID class) no
 *   deeper than max_depth containers, floats finite, strings encodable as UTF-8, ints in
 *   [-2^64, 2^64-1] when flags & 4, links only when flags & 1, bytes only when flags & 2;
 *   raises (ValueError/TypeError/UnicodeError) otherwise. With flags & 8 it returns instead
 *   whether every map's keys come in DAG-CBOR order (shorter first, then bytewise on UTF-8):
 *   the CBOR writer then gives cbrrr's bytes. Iterative: cycles hit the depth
 *   bound. It runs no Python code, so the borrowed references it walks stay valid.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

static PyTypeObject *cid_type = NULL;
static PyObject *gc_module = NULL; /* the gc module, imported on first use (decode_records) */
static Py_ssize_t raw_offset = -1;

/* Gas of the allocation budget of go-ipld-prime's DAG-CBOR decoder (v0.24.0, the one Kubo v0.43
 * uses; codec/dagcbor/unmarshal.go): a list or map header costs its declared length, a list
 * entry 4, a map entry 8 plus its key's length, a string or byte string (a tag-42 link
 * included) its length, a bool, int or float 1, null 0. */
#define GAS_LIST_ENTRY 4
#define GAS_MAP_ENTRY 8

static int
cbor_scan(const uint8_t *p, Py_ssize_t n, Py_ssize_t max_depth, int64_t budget, int content)
{
    /* 0: within both bounds, 1: nested deeper than max_depth, 2: gas over budget, -1: malformed.
     * Each stack entry is (items left << 1 | in_map) of an open container. */
    Py_ssize_t cap = (max_depth < n ? max_depth : n) + 1;
    uint64_t *stack = PyMem_Malloc((size_t)cap * sizeof(uint64_t));
    if (stack == NULL) {
        PyErr_NoMemory();
        return -2;
    }
    Py_ssize_t sp = 0, pos = 0;
    uint64_t remaining = 1;
    int in_map = 0, after_tag = 0, result = 0;
    int64_t gas = 0;
    for (;;) {
        while (remaining == 0) {
            if (sp == 0)
                goto done;
            uint64_t top = stack[--sp];
            remaining = top >> 1;
            in_map = (int)(top & 1);
        }
        remaining--;
        if (pos >= n) {
            result = -1;
            goto done;
        }
        uint8_t head = p[pos++];
        unsigned major = head >> 5, info = head & 0x1f;
        uint64_t arg;
        if (info < 24) {
            arg = info;
        } else if (info <= 27) {
            int len = 1 << (info - 24);
            if (n - pos < len) {
                result = -1;
                goto done;
            }
            arg = 0;
            for (int i = 0; i < len; i++)
                arg = (arg << 8) | p[pos++];
        } else {
            result = -1;
            goto done;
        }
        int is_key = in_map && (remaining & 1) && !after_tag;
        if (!after_tag && sp > 0 && !in_map)
            gas += GAS_LIST_ENTRY;
        after_tag = 0;
        switch (major) {
        case 2:
        case 3:
            if (arg > (uint64_t)(n - pos)) {
                result = -1;
                goto done;
            }
            pos += (Py_ssize_t)arg;
            gas += (content || is_key ? (int64_t)arg : 0) + (is_key ? GAS_MAP_ENTRY : 0);
            break;
        case 4:
        case 5: {
            uint64_t count = arg;
            if (major == 5) {
                if (count > UINT64_MAX / 2) {
                    result = -1;
                    goto done;
                }
                count *= 2;
            }
            if (count > (uint64_t)(n - pos)) { /* every item takes at least one byte */
                result = -1;
                goto done;
            }
            if (sp + 1 > max_depth) {
                result = 1;
                goto done;
            }
            gas += (int64_t)arg;
            if (count) {
                stack[sp++] = (remaining << 1) | (uint64_t)in_map;
                remaining = count;
                in_map = major == 5;
            }
            break;
        }
        case 6:
            remaining++; /* the tagged item follows, in the same slot */
            after_tag = 1;
            break;
        case 7:
            if (info != 22 && info != 23) /* null and undefined cost nothing */
                gas += 1;
            break;
        default: /* 0, 1: integers */
            gas += 1;
            break;
        }
        if (gas > budget) {
            result = 2;
            goto done;
        }
    }
done:
    PyMem_Free(stack);
    return result;
}

static int
cbor_exceeds(const uint8_t *p, Py_ssize_t n, Py_ssize_t max_depth)
{
    int r = cbor_scan(p, n, max_depth, INT64_MAX, 1);
    return r == 2 ? 0 : r;
}

static int
json_exceeds(const uint8_t *p, Py_ssize_t n, Py_ssize_t max_depth)
{
    /* returns min(deepest nesting, max_depth + 1); the Python wrapper compares */
    Py_ssize_t depth = 0, deepest = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '"') {
            for (i++; i < n && p[i] != '"'; i++) {
                if (p[i] == '\\')
                    i++;
            }
        } else if (c == '[' || c == '{') {
            if (++depth > deepest) {
                deepest = depth;
                if (deepest > max_depth)
                    return (int)(max_depth + 1 > INT_MAX ? INT_MAX : max_depth + 1);
            }
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return (int)(deepest > INT_MAX ? INT_MAX : deepest);
}

/* a minimal unsigned varint of at most `limit` bytes (9 for multiformats' unsigned-varint,
 * 10 for protobuf's) whose value fits 64 bits; returns the new position or -1 */
static Py_ssize_t
read_uvarint(const uint8_t *p, Py_ssize_t end, Py_ssize_t pos, int limit, uint64_t *value)
{
    uint64_t v = 0;
    Py_ssize_t start = pos;
    for (int shift = 0;; shift += 7) {
        if (pos >= end || pos - start >= limit)
            return -1;
        uint8_t b = p[pos++];
        if (shift == 63 && (b & 0x7f) > 1)
            return -1; /* over 64 bits */
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (b == 0 && pos - start > 1)
                return -1;
            *value = v;
            return pos;
        }
    }
}

static Py_ssize_t
read_varint(const uint8_t *p, Py_ssize_t n, Py_ssize_t pos, uint64_t *value)
{
    return read_uvarint(p, n, pos, 9, value);
}

static PyObject *
py_bind(PyObject *self, PyObject *cls)
{
    if (!PyType_Check(cls)) {
        PyErr_SetString(PyExc_TypeError, "bind() needs the CID class");
        return NULL;
    }
    PyObject *descr = PyObject_GetAttrString(cls, "_raw");
    if (descr == NULL)
        return NULL;
    if (!PyObject_TypeCheck(descr, &PyMemberDescr_Type)) {
        Py_DECREF(descr);
        PyErr_SetString(PyExc_TypeError, "CID._raw is not a slot");
        return NULL;
    }
    PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
    if (member->type != T_OBJECT_EX) {
        Py_DECREF(descr);
        PyErr_SetString(PyExc_TypeError, "CID._raw is not an object slot");
        return NULL;
    }
    raw_offset = member->offset;
    Py_DECREF(descr);
    Py_XDECREF(cid_type);
    Py_INCREF(cls);
    cid_type = (PyTypeObject *)cls;
    Py_RETURN_NONE;
}

static PyObject *
py_link(PyObject *self, PyObject *raw)
{
    if (cid_type == NULL || raw_offset < 0) {
        PyErr_SetString(PyExc_RuntimeError, "_cscan.bind(CID) was not called");
        return NULL;
    }
    if (!PyBytes_CheckExact(raw)) {
        PyErr_SetString(PyExc_TypeError, "link() needs bytes");
        return NULL;
    }
    const uint8_t *p = (const uint8_t *)PyBytes_AS_STRING(raw);
    Py_ssize_t n = PyBytes_GET_SIZE(raw);
    if (!(n == 34 && p[0] == 0x12 && p[1] == 0x20)) {
        uint64_t codec, code, size;
        Py_ssize_t pos;
        if (n < 4 || p[0] != 0x01) {
            PyErr_Format(PyExc_ValueError, "invalid link: not a CID (%zd bytes)", n);
            return NULL;
        }
        if ((pos = read_varint(p, n, 1, &codec)) < 0 || (pos = read_varint(p, n, pos, &code)) < 0 ||
            (pos = read_varint(p, n, pos, &size)) < 0) {
            PyErr_SetString(PyExc_ValueError, "invalid link: malformed CID varint");
            return NULL;
        }
        if (size > 1024 || (uint64_t)(n - pos) != size) {
            PyErr_Format(PyExc_ValueError, "invalid link: digest length %llu does not match the %zd bytes left",
                         (unsigned long long)size, n - pos);
            return NULL;
        }
    }
    PyObject *obj = cid_type->tp_alloc(cid_type, 0);
    if (obj == NULL)
        return NULL;
    Py_INCREF(raw);
    *(PyObject **)((char *)obj + raw_offset) = raw;
    if (PyObject_IS_GC(obj) && PyObject_GC_IsTracked(obj))
        PyObject_GC_UnTrack(obj); /* it holds one bytes object: it can be in no cycle, so the
                                   * collector need never visit it (as CPython does for tuples of atoms) */
    return obj;
}

/* the checks every decoder entry point makes: CID bound, an exact bytes argument; 0 or -1 */
static int
bound_bytes_arg(PyObject *data, const char *fn)
{
    if (cid_type == NULL || raw_offset < 0) {
        PyErr_SetString(PyExc_RuntimeError, "_cscan.bind(CID) was not called");
        return -1;
    }
    if (!PyBytes_CheckExact(data)) {
        PyErr_Format(PyExc_TypeError, "%s() needs bytes", fn);
        return -1;
    }
    return 0;
}

#define CHECK_LINKS 1
#define CHECK_BYTES 2
#define CHECK_CBOR_INTS 4
#define CHECK_KEY_ORDER 8 /* answer whether every map's keys come in DAG-CBOR order */

/* 0: scalar ok, 1: container, -1: error set */
static int
classify(PyObject *v, int flags)
{
    PyTypeObject *t = Py_TYPE(v);
    if (t == &PyUnicode_Type)
        return PyUnicode_AsUTF8AndSize(v, NULL) == NULL ? -1 : 0;
    if (t == &PyList_Type || t == &PyDict_Type)
        return 1;
    if (t == &PyLong_Type) {
        if (flags & CHECK_CBOR_INTS) {
            int overflow;
            (void)PyLong_AsLongLongAndOverflow(v, &overflow);
            if (overflow == 0)
                return 0;
            PyObject *mag = overflow > 0 ? (Py_INCREF(v), v) : PyNumber_Invert(v); /* ~v = -v - 1 */
            if (mag == NULL)
                return -1;
            unsigned long long u = PyLong_AsUnsignedLongLong(mag);
            Py_DECREF(mag);
            if (u == (unsigned long long)-1 && PyErr_Occurred()) {
                PyErr_Clear();
                PyErr_SetString(PyExc_ValueError, "integer out of range");
                return -1;
            }
        }
        return 0;
    }
    if (t == &PyFloat_Type) {
        double d = PyFloat_AS_DOUBLE(v);
        if (d - d != 0.0) {
            PyErr_SetString(PyExc_ValueError, "NaN and infinities are not in the data model");
            return -1;
        }
        return 0;
    }
    if (t == &PyBool_Type || v == Py_None)
        return 0;
    if (t == &PyBytes_Type) {
        if (flags & CHECK_BYTES)
            return 0;
        PyErr_SetString(PyExc_ValueError, "bytes are not representable");
        return -1;
    }
    if (cid_type != NULL && t == cid_type) {
        if (flags & CHECK_LINKS)
            return 0;
        PyErr_SetString(PyExc_ValueError, "links are not representable");
        return -1;
    }
    PyErr_Format(PyExc_TypeError, "cannot encode a %s", t->tp_name);
    return -1;
}

typedef struct {
    PyObject *obj; /* borrowed */
    Py_ssize_t pos;
    const char *prev; /* the map's previous key as UTF-8 (cached in the key, which the map holds) */
    Py_ssize_t prev_len;
} Frame;

/* The next entry of the list or map of frame f: 1 with *child (and *key, NULL for a list),
   0 when f holds no more, -1 with an exception set for a map key that is not a str. */
static int
frame_next(Frame *f, PyObject **key, PyObject **child)
{
    if (Py_TYPE(f->obj) == &PyList_Type) {
        if (f->pos >= PyList_GET_SIZE(f->obj))
            return 0;
        *key = NULL;
        *child = PyList_GET_ITEM(f->obj, f->pos);
        f->pos++;
        return 1;
    }
    if (!PyDict_Next(f->obj, &f->pos, key, child))
        return 0;
    if (!PyUnicode_CheckExact(*key)) {
        PyErr_SetString(PyExc_TypeError, "map keys must be strings");
        return -1;
    }
    return 1;
}

/* Push child (a list or map) as a new frame on *stack (*sp frames of *cap), at most max_depth
   deep: 0, or -1 with an exception set (too deep, no memory; the stack stays the caller's). */
static int
frame_push(Frame **stack, Py_ssize_t *sp, Py_ssize_t *cap, Py_ssize_t max_depth, PyObject *child)
{
    if (*sp + 1 > max_depth) {
        PyErr_SetString(PyExc_ValueError, "nested deeper than max_depth");
        return -1;
    }
    if (*sp == *cap) {
        Frame *grown = PyMem_Realloc(*stack, 2 * *cap * sizeof(Frame));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        *stack = grown;
        *cap *= 2;
    }
    Frame *top = &(*stack)[*sp];
    top->obj = child;
    top->pos = 0;
    top->prev = NULL;
    top->prev_len = 0;
    (*sp)++;
    return 0;
}

/* whether key b may follow key a in a DAG-CBOR map: shorter first, then bytewise */
static int
key_after(const char *a, Py_ssize_t a_len, const char *b, Py_ssize_t b_len)
{
    if (a_len != b_len)
        return b_len > a_len;
    return memcmp(a, b, (size_t)a_len) < 0;
}

static PyObject *
py_check(PyObject *self, PyObject *args)
{
    PyObject *value;
    Py_ssize_t max_depth;
    int flags;
    if (!PyArg_ParseTuple(args, "Oni", &value, &max_depth, &flags))
        return NULL;
    int ordered = 1; /* no map seen out of DAG-CBOR key order (with CHECK_KEY_ORDER) */
    int r = classify(value, flags);
    if (r < 0)
        return NULL;
    if (r == 0)
        goto done;
    if (max_depth < 1) {
        PyErr_SetString(PyExc_ValueError, "nested deeper than max_depth");
        return NULL;
    }
    Py_ssize_t cap = 64, sp = 0;
    Frame *stack = PyMem_Malloc(cap * sizeof(Frame));
    if (stack == NULL)
        return PyErr_NoMemory();
    stack[sp].obj = value;
    stack[sp].pos = 0;
    stack[sp].prev = NULL;
    stack[sp].prev_len = 0;
    sp++;
    while (sp > 0) {
        Frame *f = &stack[sp - 1];
        PyObject *key, *child;
        int more = frame_next(f, &key, &child);
        if (more < 0)
            goto fail;
        if (more == 0) {
            sp--;
            continue;
        }
        if (key != NULL) {
            Py_ssize_t key_len;
            const char *key_utf8 = PyUnicode_AsUTF8AndSize(key, &key_len);
            if (key_utf8 == NULL)
                goto fail;
            if (flags & CHECK_KEY_ORDER) {
                if (f->prev != NULL && !key_after(f->prev, f->prev_len, key_utf8, key_len))
                    ordered = 0;
                f->prev = key_utf8;
                f->prev_len = key_len;
            }
        }
        r = classify(child, flags);
        if (r < 0)
            goto fail;
        if (r == 1 && frame_push(&stack, &sp, &cap, max_depth, child) < 0)
            goto fail;
    }
    PyMem_Free(stack);
done:
    if (flags & CHECK_KEY_ORDER)
        return PyBool_FromLong(ordered);
    Py_RETURN_NONE;
fail:
    PyMem_Free(stack);
    return NULL;
}

static PyObject *
scan(PyObject *args, int (*fn)(const uint8_t *, Py_ssize_t, Py_ssize_t))
{
    Py_buffer buf;
    Py_ssize_t max_depth;
    if (!PyArg_ParseTuple(args, "y*n", &buf, &max_depth))
        return NULL;
    if (max_depth < 0) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError, "max_depth must be >= 0");
        return NULL;
    }
    int r = fn((const uint8_t *)buf.buf, buf.len, max_depth);
    PyBuffer_Release(&buf);
    if (r == -2)
        return NULL;
    return PyLong_FromLong(r);
}

static PyObject *
py_cbor_exceeds(PyObject *self, PyObject *args)
{
    return scan(args, cbor_exceeds);
}

static PyObject *
py_json_exceeds(PyObject *self, PyObject *args)
{
    return scan(args, json_exceeds);
}

static PyObject *
py_cbor_scan(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    Py_ssize_t max_depth;
    long long budget;
    int content = 1;
    if (!PyArg_ParseTuple(args, "y*nL|p", &buf, &max_depth, &budget, &content))
        return NULL;
    if (max_depth < 0 || budget < 0) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError, "max_depth and budget must be >= 0");
        return NULL;
    }
    int r = cbor_scan((const uint8_t *)buf.buf, buf.len, max_depth, (int64_t)budget, content);
    PyBuffer_Release(&buf);
    if (r == -2)
        return NULL;
    return PyLong_FromLong(r);
}

/* --- DAG-PB ------------------------------------------------------------------------------
 * pb_decode(data) -> {"Data"?: bytes, "Links": [{"Hash": CID, "Name"?: str, "Tsize"?: int}]}
 * with exactly the acceptance rules of autocodec.builtin._dagpb.decode (the reference: on any
 * refusal this raises ValueError and the caller re-runs the Python decoder for the message). */

/* a minimal protobuf varint: at most 10 bytes, < 2^64; new position or -1 */
static Py_ssize_t
pb_varint(const uint8_t *p, Py_ssize_t end, Py_ssize_t pos, uint64_t *value)
{
    return read_uvarint(p, end, pos, 10, value);
}

static PyObject *
pb_refuse(void)
{
    PyErr_SetString(PyExc_ValueError, "dag-pb: refused (the Python decoder says why)");
    return NULL;
}

static PyObject *
pb_link(const uint8_t *p, Py_ssize_t pos, Py_ssize_t end)
{
    PyObject *hash = NULL, *name = NULL, *tsize = NULL, *link = NULL;
    uint64_t last = 0;
    while (pos < end) {
        uint64_t key, len;
        if ((pos = pb_varint(p, end, pos, &key)) < 0)
            goto refuse;
        uint64_t num = key >> 3, wire = key & 7;
        if (num <= last || num > 3)
            goto refuse;
        last = num;
        if (num == 3) {
            uint64_t v;
            if (wire != 0 || (pos = pb_varint(p, end, pos, &v)) < 0)
                goto refuse;
            tsize = PyLong_FromUnsignedLongLong(v);
            if (tsize == NULL)
                goto fail;
            continue;
        }
        if (wire != 2 || (pos = pb_varint(p, end, pos, &len)) < 0 || len > (uint64_t)(end - pos))
            goto refuse;
        if (num == 1) {
            PyObject *raw = PyBytes_FromStringAndSize((const char *)p + pos, (Py_ssize_t)len);
            if (raw == NULL)
                goto fail;
            hash = py_link(NULL, raw);
            Py_DECREF(raw);
            if (hash == NULL) {
                if (PyErr_ExceptionMatches(PyExc_ValueError))
                    goto fail; /* a refusal: ValueError already set */
                goto fail;
            }
        } else {
            /* bytes that are not UTF-8 as surrogate escapes (PEP 383), as _dagpb.py reads them */
            name = PyUnicode_DecodeUTF8((const char *)p + pos, (Py_ssize_t)len, "surrogateescape");
            if (name == NULL)
                goto fail;
        }
        pos += (Py_ssize_t)len;
    }
    if (hash == NULL)
        goto refuse;
    link = PyDict_New();
    if (link == NULL || PyDict_SetItemString(link, "Hash", hash) < 0 ||
        (name != NULL && PyDict_SetItemString(link, "Name", name) < 0) ||
        (tsize != NULL && PyDict_SetItemString(link, "Tsize", tsize) < 0)) {
        Py_CLEAR(link);
    }
    Py_XDECREF(hash);
    Py_XDECREF(name);
    Py_XDECREF(tsize);
    return link;
refuse:
    pb_refuse();
fail:
    Py_XDECREF(hash);
    Py_XDECREF(name);
    Py_XDECREF(tsize);
    return NULL;
}

static PyObject *
py_pb_decode(PyObject *self, PyObject *data)
{
    if (bound_bytes_arg(data, "pb_decode") < 0)
        return NULL;
    const uint8_t *p = (const uint8_t *)PyBytes_AS_STRING(data);
    Py_ssize_t end = PyBytes_GET_SIZE(data), pos = 0;
    PyObject *links = PyList_New(0), *node_data = NULL, *node = NULL;
    int links_before_data = 0; /* Data closed a run of Links: another link is a second Links section */
    if (links == NULL)
        return NULL;
    while (pos < end) {
        uint64_t key, len;
        if ((pos = pb_varint(p, end, pos, &key)) < 0)
            goto refuse;
        uint64_t num = key >> 3, wire = key & 7;
        if ((num != 1 && num != 2) || wire != 2 || (num == 1 && node_data != NULL) || (num == 2 && links_before_data))
            goto refuse;
        if ((pos = pb_varint(p, end, pos, &len)) < 0 || len > (uint64_t)(end - pos))
            goto refuse;
        if (num == 1) {
            node_data = PyBytes_FromStringAndSize((const char *)p + pos, (Py_ssize_t)len);
            if (node_data == NULL)
                goto fail;
            links_before_data = PyList_GET_SIZE(links) > 0;
        } else {
            PyObject *link = pb_link(p, pos, pos + (Py_ssize_t)len);
            if (link == NULL)
                goto fail;
            int r = PyList_Append(links, link);
            Py_DECREF(link);
            if (r < 0)
                goto fail;
        }
        pos += (Py_ssize_t)len;
    }
    node = PyDict_New();
    if (node == NULL || (node_data != NULL && PyDict_SetItemString(node, "Data", node_data) < 0) ||
        PyDict_SetItemString(node, "Links", links) < 0)
        Py_CLEAR(node);
    Py_XDECREF(node_data);
    Py_DECREF(links);
    return node;
refuse:
    pb_refuse();
fail:
    Py_XDECREF(node_data);
    Py_DECREF(links);
    return NULL;
}

/* --- cbor_decode: the common DAG-CBOR subset, building the data model directly ------------ *
 *
 * It accepts only what is plainly canonical DAG-CBOR (minimal heads, definite lengths, text map
 * keys in length-then-bytewise order without duplicates, tag 42 on a 0x00-prefixed byte string
 * holding a valid CID, 64-bit finite floats, false/true/null, integers within int64) and builds
 * the same values cbrrr builds (dict, list, str, bytes, int, float, bool, None, the bound CID
 * class). Anything else (malformed, non-canonical, or merely unusual: an int beyond int64, nesting
 * past FAST_DEPTH) raises ValueError, and the caller re-runs cbrrr, which gives the value or the
 * exact error it always gave: this decoder may refuse more than cbrrr, never accept more. Map keys
 * of up to KEY_CACHE_LEN bytes come from a small cache of str objects whose hashes are already
 * computed (the GIL is held throughout, so the cache needs no lock). */
#define FAST_DEPTH 200
#define KEY_CACHE_SIZE 512
#define KEY_CACHE_LEN 32

typedef struct {
    Py_ssize_t len;
    PyObject *str;
    char bytes[KEY_CACHE_LEN];
} key_slot;

static key_slot key_cache[KEY_CACHE_SIZE];

typedef struct {
    const uint8_t *p;
    Py_ssize_t n, pos;
} reader;

static int
fast_bail(void)
{
    if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "not in the fast subset");
    }
    return -1;
}

/* the head at r->pos: major type and argument, minimal encoding required; 0 or -1 */
static int
fast_head(reader *r, unsigned *major, uint64_t *arg, unsigned *info)
{
    if (r->pos >= r->n)
        return fast_bail();
    uint8_t head = r->p[r->pos++];
    *major = head >> 5;
    *info = head & 0x1f;
    if (*info < 24) {
        *arg = *info;
        return 0;
    }
    if (*info > 27)
        return fast_bail();
    int len = 1 << (*info - 24);
    if (r->n - r->pos < len)
        return fast_bail();
    uint64_t v = 0;
    for (int i = 0; i < len; i++)
        v = (v << 8) | r->p[r->pos++];
    *arg = v;
    if (*major == 7) /* float bits: minimality does not apply */
        return 0;
    uint64_t floor_ = *info == 24 ? 24 : *info == 25 ? 0x100 : *info == 26 ? 0x10000 : 0x100000000ULL;
    if (v < floor_)
        return fast_bail();
    return 0;
}

static PyObject *
fast_key(const uint8_t *s, Py_ssize_t len)
{
    if (len > KEY_CACHE_LEN)
        return PyUnicode_DecodeUTF8((const char *)s, len, "strict");
    uint32_t h = 2166136261u;
    for (Py_ssize_t i = 0; i < len; i++)
        h = (h ^ s[i]) * 16777619u;
    key_slot *slot = &key_cache[h % KEY_CACHE_SIZE];
    if (slot->str != NULL && slot->len == len && memcmp(slot->bytes, s, (size_t)len) == 0) {
        Py_INCREF(slot->str);
        return slot->str;
    }
    PyObject *str = PyUnicode_DecodeUTF8((const char *)s, len, "strict");
    if (str == NULL || PyObject_Hash(str) == -1) {
        Py_XDECREF(str);
        return NULL;
    }
    Py_XSETREF(slot->str, str);
    Py_INCREF(str);
    slot->len = len;
    memcpy(slot->bytes, s, (size_t)len);
    return str;
}

static PyObject *fast_item(reader *r, int depth);

static PyObject *
fast_map(reader *r, uint64_t count, int depth)
{
    if (count > (uint64_t)(r->n - r->pos) / 2) {
        fast_bail();
        return NULL;
    }
    PyObject *map = _PyDict_NewPresized((Py_ssize_t)count);
    if (map == NULL)
        return NULL;
    const uint8_t *prev = NULL;
    uint64_t prev_len = 0;
    int atoms = 1; /* every value so far is one that can hold no reference to a container */
    for (uint64_t i = 0; i < count; i++) {
        unsigned major, info;
        uint64_t len;
        if (fast_head(r, &major, &len, &info) < 0 || major != 3 || len > (uint64_t)(r->n - r->pos))
            goto bail;
        const uint8_t *key = r->p + r->pos;
        if (prev != NULL && (len < prev_len || (len == prev_len && memcmp(prev, key, (size_t)len) >= 0)))
            goto bail; /* out of canonical order, or a duplicate */
        prev = key;
        prev_len = len;
        r->pos += (Py_ssize_t)len;
        PyObject *k = fast_key(key, (Py_ssize_t)len);
        if (k == NULL)
            goto bail;
        PyObject *v = fast_item(r, depth + 1);
        if (v == NULL) {
            Py_DECREF(k);
            goto fail;
        }
        if (atoms && !PyUnicode_CheckExact(v) && !PyBytes_CheckExact(v) && !PyLong_CheckExact(v) &&
            !PyFloat_CheckExact(v) && !PyBool_Check(v) && v != Py_None && Py_TYPE(v) != cid_type)
            atoms = 0;
        int rc = PyDict_SetItem(map, k, v);
        Py_DECREF(k);
        Py_DECREF(v);
        if (rc < 0)
            goto fail;
    }
    /* A map of atoms and links (CIDs made by py_link: untracked, one bytes object each) can be in
       no reference cycle, so the collector need not visit it; CPython's own dicts of atoms are
       untracked the same way, and an insert of a container tracks it again. */
    if (atoms && PyObject_GC_IsTracked(map))
        PyObject_GC_UnTrack(map);
    return map;
bail:
    fast_bail();
fail:
    Py_DECREF(map);
    return NULL;
}

static PyObject *
fast_item(reader *r, int depth)
{
    unsigned major, info;
    uint64_t arg;
    if (depth > FAST_DEPTH || fast_head(r, &major, &arg, &info) < 0) {
        fast_bail();
        return NULL;
    }
    switch (major) {
    case 0:
        if (arg > INT64_MAX)
            break;
        return PyLong_FromLongLong((long long)arg);
    case 1:
        if (arg > INT64_MAX)
            break;
        return PyLong_FromLongLong(-1 - (long long)arg);
    case 2:
        if (arg > (uint64_t)(r->n - r->pos))
            break;
        r->pos += (Py_ssize_t)arg;
        return PyBytes_FromStringAndSize((const char *)r->p + r->pos - (Py_ssize_t)arg, (Py_ssize_t)arg);
    case 3: {
        if (arg > (uint64_t)(r->n - r->pos))
            break;
        r->pos += (Py_ssize_t)arg;
        PyObject *s = PyUnicode_DecodeUTF8((const char *)r->p + r->pos - (Py_ssize_t)arg, (Py_ssize_t)arg, "strict");
        if (s == NULL)
            fast_bail();
        return s;
    }
    case 4: {
        if (arg > (uint64_t)(r->n - r->pos))
            break;
        PyObject *list = PyList_New((Py_ssize_t)arg);
        if (list == NULL)
            return NULL;
        for (uint64_t i = 0; i < arg; i++) {
            PyObject *v = fast_item(r, depth + 1);
            if (v == NULL) {
                Py_DECREF(list);
                return NULL;
            }
            PyList_SET_ITEM(list, (Py_ssize_t)i, v);
        }
        return list;
    }
    case 5:
        return fast_map(r, arg, depth);
    case 6: {
        unsigned m2, i2;
        uint64_t len;
        if (arg != 42 || fast_head(r, &m2, &len, &i2) < 0 || m2 != 2 || len < 1 ||
            len > (uint64_t)(r->n - r->pos) || r->p[r->pos] != 0x00)
            break;
        PyObject *raw = PyBytes_FromStringAndSize((const char *)r->p + r->pos + 1, (Py_ssize_t)len - 1);
        r->pos += (Py_ssize_t)len;
        if (raw == NULL)
            return NULL;
        PyObject *cid = py_link(NULL, raw);
        Py_DECREF(raw);
        if (cid == NULL)
            fast_bail();
        return cid;
    }
    case 7:
        if (info == 20)
            Py_RETURN_FALSE;
        if (info == 21)
            Py_RETURN_TRUE;
        if (info == 22)
            Py_RETURN_NONE;
        if (info == 27) {
            double d;
            memcpy(&d, &arg, sizeof d);
            if (!isfinite(d))
                break;
            return PyFloat_FromDouble(d);
        }
        break;
    }
    fast_bail();
    return NULL;
}

static PyObject *
py_cbor_decode(PyObject *self, PyObject *data)
{
    if (bound_bytes_arg(data, "cbor_decode") < 0)
        return NULL;
    reader r = {(const uint8_t *)PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), 0};
    PyObject *value = fast_item(&r, 1);
    if (value != NULL && r.pos != r.n) { /* trailing bytes: cbrrr words the error */
        Py_DECREF(value);
        fast_bail();
        return NULL;
    }
    return value;
}

/* decode_records(buf, count, small_max) -> (values, todo), or None.
 * ``buf`` holds ``count`` records of [u32 LE tag][u32 LE length][payload] (the layout of
 * ac_decode_batch's output, docs/abi.md). values[i] is record i's payload decoded by the fast
 * path when its tag is 0, it is at most ``small_max`` bytes and the fast path accepts it; every
 * other record is listed in ``todo`` as (i, tag, start, length), with values[i] None, for the
 * caller to handle as it would alone. None when the records do not exactly fill ``buf``
 * (truncated, overlong, trailing bytes): the caller's own parse then names the fault. */
static PyObject *
py_decode_records(PyObject *self, PyObject *args)
{
    PyObject *buf;
    Py_ssize_t count, small_max;
    if (!PyArg_ParseTuple(args, "O!nn", &PyBytes_Type, &buf, &count, &small_max))
        return NULL;
    if (bound_bytes_arg(buf, "decode_records") < 0)
        return NULL;
    const uint8_t *p = (const uint8_t *)PyBytes_AS_STRING(buf);
    Py_ssize_t n = PyBytes_GET_SIZE(buf), pos = 0;
    if (count < 0 || count > n / 8)
        Py_RETURN_NONE;
    int collecting = 0;
    PyObject *values = PyList_New(count), *todo = PyList_New(0);
    if (values == NULL || todo == NULL)
        goto fail;
    /* No collection while the records are built: no Python code runs in this loop, and every
       object it makes is new and reachable from ``values``, so a pass could free nothing. The
       young objects would otherwise be scanned again and again as each 700 allocations start a
       pass (about half the time of a batch, measured). The collector's state is restored
       before returning, and one young-generation pass is made then. */
    collecting = PyGC_Disable();
    for (Py_ssize_t i = 0; i < count; i++) {
        if (n - pos < 8)
            goto malformed;
        uint32_t tag = (uint32_t)p[pos] | (uint32_t)p[pos + 1] << 8 | (uint32_t)p[pos + 2] << 16 | (uint32_t)p[pos + 3] << 24;
        uint32_t len = (uint32_t)p[pos + 4] | (uint32_t)p[pos + 5] << 8 | (uint32_t)p[pos + 6] << 16 |
                       (uint32_t)p[pos + 7] << 24;
        pos += 8;
        if ((Py_ssize_t)len > n - pos)
            goto malformed;
        PyObject *value = NULL;
        if (tag == 0 && (Py_ssize_t)len <= small_max) {
            reader r = {p + pos, (Py_ssize_t)len, 0};
            value = fast_item(&r, 1);
            if (value != NULL && r.pos != r.n)
                Py_CLEAR(value);
            if (value == NULL)
                PyErr_Clear(); /* refused (or out of memory): the caller decides, as for one item */
        }
        if (value == NULL) {
            PyObject *entry = Py_BuildValue("(nInI)", i, tag, pos, len);
            if (entry == NULL || PyList_Append(todo, entry) < 0) {
                Py_XDECREF(entry);
                goto fail;
            }
            Py_DECREF(entry);
            Py_INCREF(Py_None);
            value = Py_None;
        }
        PyList_SET_ITEM(values, i, value);
        pos += (Py_ssize_t)len;
    }
    if (pos != n)
        goto malformed;
    if (collecting) {
        PyGC_Enable();
        /* The young generation's pass this loop held off is paid here, once (gc.collect(0)),
           not by whichever code allocates next. */
        if (gc_module == NULL)
            gc_module = PyImport_ImportModule("gc");
        PyObject *done = gc_module ? PyObject_CallMethod(gc_module, "collect", "i", 0) : NULL;
        if (done == NULL)
            PyErr_Clear(); /* only a missed early collection: the next allocation makes it */
        Py_XDECREF(done);
    }
    return Py_BuildValue("(NN)", values, todo);
malformed:
    if (collecting)
        PyGC_Enable();
    Py_DECREF(values);
    Py_DECREF(todo);
    Py_RETURN_NONE;
fail:
    if (collecting)
        PyGC_Enable();
    Py_XDECREF(values);
    Py_XDECREF(todo);
    return NULL;
}

/* ---- cbor_write: the CBOR (0x51) writer, map entries in the order given --------------------
 * cbor_write(value, max_depth) -> bytes: the same bytes as builtin._cbor_write.write (DAG-CBOR's
 * form: shortest heads, 64-bit floats, definite lengths, no tags) with each map's entries in
 * its own order. The caller has run check(value, max_depth, CHECK_BYTES | CHECK_CBOR_INTS)
 * first; anything else still raises (TypeError/ValueError), never writes a wrong byte.
 * Iterative; it runs no Python code, so the borrowed references it walks stay valid. */
typedef struct {
    uint8_t *p;
    Py_ssize_t n, cap;
} wbuf;

static int
w_reserve(wbuf *b, Py_ssize_t more)
{
    if (b->n + more <= b->cap)
        return 0;
    Py_ssize_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more) {
        if (cap > PY_SSIZE_T_MAX / 2) {
            PyErr_NoMemory();
            return -1;
        }
        cap *= 2;
    }
    uint8_t *grown = PyMem_Realloc(b->p, (size_t)cap);
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->p = grown;
    b->cap = cap;
    return 0;
}

static int
w_head(wbuf *b, unsigned major, uint64_t n)
{
    if (w_reserve(b, 9) < 0)
        return -1;
    uint8_t *o = b->p + b->n;
    uint8_t m = (uint8_t)(major << 5);
    int size;
    if (n < 24) {
        o[0] = (uint8_t)(m | n);
        b->n += 1;
        return 0;
    }
    if (n < 0x100) {
        o[0] = m | 24;
        size = 1;
    } else if (n < 0x10000) {
        o[0] = m | 25;
        size = 2;
    } else if (n < 0x100000000ULL) {
        o[0] = m | 26;
        size = 4;
    } else {
        o[0] = m | 27;
        size = 8;
    }
    for (int i = 0; i < size; i++)
        o[1 + i] = (uint8_t)(n >> (8 * (size - 1 - i)));
    b->n += 1 + size;
    return 0;
}

static int
w_raw(wbuf *b, const void *src, Py_ssize_t len)
{
    if (w_reserve(b, len) < 0)
        return -1;
    memcpy(b->p + b->n, src, (size_t)len);
    b->n += len;
    return 0;
}

static int
w_int(wbuf *b, PyObject *v)
{
    int overflow;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (x == -1 && PyErr_Occurred())
        return -1;
    if (overflow == 0)
        return x >= 0 ? w_head(b, 0, (uint64_t)x) : w_head(b, 1, (uint64_t)(-(x + 1)));
    PyObject *mag = overflow > 0 ? (Py_INCREF(v), v) : PyNumber_Invert(v); /* ~v = -v - 1 */
    if (mag == NULL)
        return -1;
    unsigned long long u = PyLong_AsUnsignedLongLong(mag);
    Py_DECREF(mag);
    if (u == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    return w_head(b, overflow > 0 ? 0 : 1, u);
}

/* one item that is not a container; 1 if it is a container (the caller opens it), -1 on error */
static int
w_item(wbuf *b, PyObject *v)
{
    PyTypeObject *t = Py_TYPE(v);
    if (t == &PyUnicode_Type) {
        Py_ssize_t len;
        const char *s = PyUnicode_AsUTF8AndSize(v, &len);
        if (s == NULL || w_head(b, 3, (uint64_t)len) < 0)
            return -1;
        return w_raw(b, s, len);
    }
    if (t == &PyList_Type || t == &PyDict_Type)
        return 1;
    if (t == &PyLong_Type)
        return w_int(b, v);
    if (t == &PyBool_Type) {
        uint8_t byte = v == Py_True ? 0xf5 : 0xf4;
        return w_raw(b, &byte, 1);
    }
    if (v == Py_None) {
        uint8_t byte = 0xf6;
        return w_raw(b, &byte, 1);
    }
    if (t == &PyFloat_Type) {
        double d = PyFloat_AS_DOUBLE(v);
        uint64_t bits;
        uint8_t out[9];
        if (d - d != 0.0) {
            PyErr_SetString(PyExc_ValueError, "NaN and infinities are not in the data model");
            return -1;
        }
        memcpy(&bits, &d, 8);
        out[0] = 0xfb;
        for (int i = 0; i < 8; i++)
            out[1 + i] = (uint8_t)(bits >> (8 * (7 - i)));
        return w_raw(b, out, 9);
    }
    if (t == &PyBytes_Type) {
        if (w_head(b, 2, (uint64_t)PyBytes_GET_SIZE(v)) < 0)
            return -1;
        return w_raw(b, PyBytes_AS_STRING(v), PyBytes_GET_SIZE(v));
    }
    PyErr_Format(PyExc_TypeError, "cannot write a %s as CBOR", t->tp_name);
    return -1;
}

/* the head of a container (list or dict) */
static int
w_open(wbuf *b, PyObject *v)
{
    if (Py_TYPE(v) == &PyList_Type)
        return w_head(b, 4, (uint64_t)PyList_GET_SIZE(v));
    return w_head(b, 5, (uint64_t)PyDict_GET_SIZE(v));
}

static PyObject *
py_cbor_write(PyObject *self, PyObject *args)
{
    PyObject *value;
    Py_ssize_t max_depth;
    if (!PyArg_ParseTuple(args, "On", &value, &max_depth))
        return NULL;
    wbuf b = {NULL, 0, 0};
    Frame *stack = NULL;
    Py_ssize_t cap = 0, sp = 0;
    int r = w_item(&b, value);
    if (r < 0)
        goto fail;
    if (r == 1) {
        if (max_depth < 1) {
            PyErr_SetString(PyExc_ValueError, "nested deeper than max_depth");
            goto fail;
        }
        cap = 64;
        stack = PyMem_Malloc(cap * sizeof(Frame));
        if (stack == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        if (w_open(&b, value) < 0)
            goto fail;
        stack[0].obj = value;
        stack[0].pos = 0;
        sp = 1;
    }
    while (sp > 0) {
        Frame *f = &stack[sp - 1];
        PyObject *key, *child;
        int more = frame_next(f, &key, &child);
        if (more < 0)
            goto fail;
        if (more == 0) {
            sp--;
            continue;
        }
        if (key != NULL && w_item(&b, key) < 0)
            goto fail;
        r = w_item(&b, child);
        if (r < 0)
            goto fail;
        if (r == 1) {
            if (frame_push(&stack, &sp, &cap, max_depth, child) < 0)
                goto fail;
            if (w_open(&b, child) < 0)
                goto fail;
        }
    }
    PyMem_Free(stack);
    PyObject *out = PyBytes_FromStringAndSize((const char *)b.p, b.n);
    PyMem_Free(b.p);
    return out;
fail:
    PyMem_Free(stack);
    PyMem_Free(b.p);
    return NULL;
}

static PyMethodDef methods[] = {
    {"cbor_write", py_cbor_write, METH_VARARGS,
     "cbor_write(value, max_depth) -> the CBOR (0x51) bytes, map entries in the order given"},
    {"decode_records", py_decode_records, METH_VARARGS,
     "decode_records(buf, count, small_max) -> (values, todo) or None (see the comment above it)"},
    {"cbor_decode", py_cbor_decode, METH_O,
     "cbor_decode(data) -> the DAG-CBOR value, or ValueError (re-run cbrrr: it gives the value or the error)"},
    {"pb_decode", py_pb_decode, METH_O, "pb_decode(data) -> the DAG-PB node, or ValueError (re-run the Python decoder)"},
    {"cbor_scan", py_cbor_scan, METH_VARARGS,
     "cbor_scan(data, max_depth, budget, content=True) -> 0 ok, 1 nested deeper than max_depth, 2 gas over budget, -1 malformed"},
    {"cbor_exceeds", py_cbor_exceeds, METH_VARARGS,
     "cbor_exceeds(data, max_depth) -> 1 if nested deeper than max_depth, 0 if not, -1 if malformed"},
    {"json_depth", py_json_exceeds, METH_VARARGS,
     "json_depth(data, max_depth) -> min(deepest nesting, max_depth + 1)"},
    {"check", py_check, METH_VARARGS,
     "check(value, max_depth, flags) -> None (with flag 8: whether every map is in DAG-CBOR key order), or raises"},
    {"bind", py_bind, METH_O, "bind(CID) -> None: the class link() builds"},
    {"link", py_link, METH_O, "link(raw) -> CID, validated (ValueError if malformed)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cscan", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__cscan(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "FAST_DEPTH", FAST_DEPTH) < 0)
        Py_CLEAR(m);
    return m;
}
