/* The A* search of draw/routes.py (Router._search), and the unit segments an edge crosses
 * or runs along (Router._cells_of, but for its corners), compiled.
 *
 * Optional: when this module cannot be built or imported, routes.py runs the same search
 * in Python. Both give the same routes, bit for bit: the same states in the same order
 * (a min-heap on the tuple (f, cost, point, direction), as heapq orders them), the same
 * sums of IEEE doubles in the same order (built with -ffp-contract=off: no fused
 * multiply-add), and the costs of the special unit segments summed as Router._cost sums them. routes.py documents the search; the comments here only map it.
 *
 * Also the unit segments inside a box (Router._covered), and the loop that writes what lies
 * on a list of unit segments into one of the router's tables (Router._mark): the same
 * segments and entries, made in the same order.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define VERSION 5

/* the tables of a router, as bits of its mask of special unit segments (routes.py) */
enum { BLOCK = 1, INSIDE = 2, LABEL = 4, OVERLAP = 8, CROSS = 16 };

typedef struct {
    double f, cost;
    int64_t p;
    int d;
} Entry;

typedef struct {
    Entry *a;
    Py_ssize_t len, cap;
} Heap;

static int less(const Entry *x, const Entry *y) {
    if (x->f != y->f) return x->f < y->f;
    if (x->cost != y->cost) return x->cost < y->cost;
    if (x->p != y->p) return x->p < y->p;
    return x->d < y->d;
}

static int heap_push(Heap *h, double f, double cost, int64_t p, int d) {
    if (h->len == h->cap) {
        Py_ssize_t cap = h->cap ? 2 * h->cap : 1024;
        Entry *a = realloc(h->a, (size_t)cap * sizeof(Entry));
        if (!a) return -1;
        h->a = a;
        h->cap = cap;
    }
    Entry e = {f, cost, p, d};
    Py_ssize_t k = h->len++;
    while (k > 0) {
        Py_ssize_t parent = (k - 1) / 2;
        if (!less(&e, &h->a[parent])) break;
        h->a[k] = h->a[parent];
        k = parent;
    }
    h->a[k] = e;
    return 0;
}

/* The least entry, taken out as heapq.heappop does (its _siftup): the hole left at the top
 * goes down to a leaf along the lesser children (one comparison a level; the right one
 * where they are not ordered), then the last entry rises from there to its place, mostly
 * not far: fewer comparisons than sifting it down from the top, and the heap laid out as
 * heapq's. */
static Entry heap_pop(Heap *h) {
    Entry top = h->a[0];
    Entry last = h->a[--h->len];
    Py_ssize_t k = 0, n = h->len;
    if (n == 0) return top;
    for (;;) {
        Py_ssize_t c = 2 * k + 1;
        if (c >= n) break;
        if (c + 1 < n && !less(&h->a[c], &h->a[c + 1])) c++;
        h->a[k] = h->a[c];
        k = c;
    }
    while (k > 0) {
        Py_ssize_t parent = (k - 1) / 2;
        if (!less(&last, &h->a[parent])) break;
        h->a[k] = h->a[parent];
        k = parent;
    }
    h->a[k] = last;
    return top;
}

/* A list of floats as a C array (NULL with an exception set on a wrong type). */
static double *floats(PyObject *list, Py_ssize_t want) {
    PyObject *seq = PySequence_Fast(list, "a list of numbers was expected");
    if (!seq) return NULL;
    if (PySequence_Fast_GET_SIZE(seq) != want) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "a list of numbers has the wrong length");
        return NULL;
    }
    double *out = malloc((size_t)(want ? want : 1) * sizeof(double));
    if (!out) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t k = 0; k < want; k++) {
        out[k] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, k));
        if (out[k] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(seq);
            free(out);
            return NULL;
        }
    }
    Py_DECREF(seq);
    return out;
}

/* What a route reads to cost a special unit segment (Router._cost). */
typedef struct {
    PyObject *block, *inside, *label, *overlap, *cross; /* the router's tables */
    PyObject *free, *own, *owner, *start_zone, *start;  /* the route's */
    double area_cost, label_cost, overlap_cost, cross_cost;
} Costing;

/* ``o is None or o != owner``: 1, 0, or -1 on an exception. */
static int other_owner(PyObject *o, PyObject *owner) {
    if (o == Py_None) return 1;
    return PyObject_RichCompareBool(o, owner, Py_NE);
}

/* Router._cost(k, length, ...): the cost of unit segment k for the route, -1 where it may
 * not go; -2 with an exception set. The same sums in the same order. ``bits``: the
 * segment's mask (which tables hold it): the others are not looked in. */
static double segment_cost(const Costing *t, int64_t k, double length, unsigned bits) {
    double result = -2.0, per = 1.0;
    Py_ssize_t crossed = 0;
    PyObject *key = PyLong_FromLongLong(k), *v;
    if (!key) return -2.0;
    v = bits & BLOCK ? PyDict_GetItemWithError(t->block, key) : NULL;
    if (v) {
        PyObject *seq = PySequence_Fast(v, "block");
        if (!seq) goto done;
        for (Py_ssize_t m = 0; m < PySequence_Fast_GET_SIZE(seq); m++) {
            int in = PySet_Contains(t->free, PySequence_Fast_GET_ITEM(seq, m));
            if (in < 0) {
                Py_DECREF(seq);
                goto done;
            }
            if (!in) {
                Py_DECREF(seq);
                result = -1.0;
                goto done;
            }
        }
        Py_DECREF(seq);
    } else if (PyErr_Occurred()) {
        goto done;
    }
    v = bits & INSIDE ? PyDict_GetItemWithError(t->inside, key) : NULL;
    if (v) {
        PyObject *seq = PySequence_Fast(v, "inside");
        Py_ssize_t count = 0;
        if (!seq) goto done;
        for (Py_ssize_t m = 0; m < PySequence_Fast_GET_SIZE(seq); m++) {
            int in = PySet_Contains(t->own, PySequence_Fast_GET_ITEM(seq, m));
            if (in < 0) {
                Py_DECREF(seq);
                goto done;
            }
            count += !in;
        }
        Py_DECREF(seq);
        per += t->area_cost * (double)count;
    } else if (PyErr_Occurred()) {
        goto done;
    }
    {
        int in = bits & LABEL ? PySet_Contains(t->label, key) : 0;
        if (in < 0) goto done;
        if (in) per += t->label_cost;
    }
    v = bits & OVERLAP ? PyDict_GetItemWithError(t->overlap, key) : NULL;
    if (v) {
        PyObject *it = PyObject_GetIter(v), *o;
        int any = 0;
        if (!it) goto done;
        while (!any && (o = PyIter_Next(it))) {
            any = other_owner(o, t->owner);
            Py_DECREF(o);
        }
        Py_DECREF(it);
        if (any < 0 || PyErr_Occurred()) goto done;
        if (any) per += t->overlap_cost;
    } else if (PyErr_Occurred()) {
        goto done;
    }
    v = bits & CROSS ? PyDict_GetItemWithError(t->cross, key) : NULL;
    if (v) {
        PyObject *seq = PySequence_Fast(v, "cross");
        int zone;
        if (!seq) goto done;
        zone = PySet_Contains(t->start_zone, key);
        if (zone < 0) {
            Py_DECREF(seq);
            goto done;
        }
        for (Py_ssize_t m = 0; m < PySequence_Fast_GET_SIZE(seq); m++) {
            PyObject *entry = PySequence_Fast_GET_ITEM(seq, m);
            if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 2) {
                Py_DECREF(seq);
                PyErr_SetString(PyExc_TypeError, "a crossing is (owner, ends)");
                goto done;
            }
            int other = other_owner(PyTuple_GET_ITEM(entry, 0), t->owner);
            if (other < 0) {
                Py_DECREF(seq);
                goto done;
            }
            if (!other) continue;
            if (zone) {
                int in = PySequence_Contains(PyTuple_GET_ITEM(entry, 1), t->start);
                if (in < 0) {
                    Py_DECREF(seq);
                    goto done;
                }
                if (in) continue;
            }
            crossed++;
        }
        Py_DECREF(seq);
    } else if (PyErr_Occurred()) {
        goto done;
    }
    result = length * per + t->cross_cost * (double)crossed;
done:
    Py_DECREF(key);
    return result;
}

/* search(nx, ny, dxs, dys, hx, hy_turn, hx_turn, hy, special, (block, inside, label,
 *        overlap, cross), (free, own, owner, start_zone, start name), (area, label,
 *        overlap, cross costs), start point, goal, stop, bend, (i_lo, i_hi, j_lo, j_hi))
 * -> (0,) no way; (1,) every way costs more than stop; (2, cells, cost): the grid
 * points of the cheapest path from start, and its cost.
 *
 * ``special``: a bytes-like mask of the 2 * nx * ny unit segments (non-zero: costed by
 * Router._cost; its bits: the tables that hold it). The search never leaves the window
 * (the whole grid when there is none), so its tables cover the window only: on a large
 * grid a windowed search costs what the window holds, not what the grid does. Points keep
 * their grid numbers in the heap, so ties are broken as in Python. */
static PyObject *search(PyObject *self, PyObject *args) {
    Py_ssize_t nx, ny;
    long long start;
    PyObject *o_dxs, *o_dys, *o_hx, *o_hyt, *o_hxt, *o_hy, *special, *goal;
    Costing t;
    double stop, bend;
    Py_ssize_t i_lo, i_hi, j_lo, j_hi;
    (void)self;
    if (!PyArg_ParseTuple(args, "nnOOOOOOO(O!O!OO!O!)(OOOOO)(dddd)LO!dd(nnnn)", &nx, &ny, &o_dxs, &o_dys, &o_hx,
                          &o_hyt, &o_hxt, &o_hy, &special, &PyDict_Type, &t.block, &PyDict_Type, &t.inside,
                          &t.label, &PyDict_Type, &t.overlap, &PyDict_Type, &t.cross, &t.free, &t.own, &t.owner,
                          &t.start_zone, &t.start, &t.area_cost, &t.label_cost, &t.overlap_cost, &t.cross_cost,
                          &start, &PyDict_Type, &goal, &stop, &bend, &i_lo, &i_hi, &j_lo, &j_hi))
        return NULL;
    if (!PyAnySet_Check(t.label) || !PyAnySet_Check(t.free) || !PyAnySet_Check(t.own) ||
        !PyAnySet_Check(t.start_zone)) {
        PyErr_SetString(PyExc_TypeError, "label, free, own and start_zone must be sets");
        return NULL;
    }
    if (nx < 1 || ny < 1 || nx > (1 << 28) / ny) {
        PyErr_SetString(PyExc_ValueError, "grid too large");
        return NULL;
    }
    if (i_lo < 0 || i_hi >= nx || i_lo > i_hi || j_lo < 0 || j_hi >= ny || j_lo > j_hi) {
        PyErr_SetString(PyExc_ValueError, "window outside the grid");
        return NULL;
    }
    int64_t n = (int64_t)nx * ny;
    if (start < 0 || start >= n || start % nx < i_lo || start % nx > i_hi || start / nx < j_lo ||
        start / nx > j_hi) {
        PyErr_SetString(PyExc_ValueError, "start outside the window");
        return NULL;
    }
    Py_buffer mask;
    if (PyObject_GetBuffer(special, &mask, PyBUF_SIMPLE) < 0) return NULL;
    if (mask.len != 2 * n) {
        PyBuffer_Release(&mask);
        PyErr_SetString(PyExc_ValueError, "the mask of special segments has the wrong length");
        return NULL;
    }
    const unsigned char *spec = mask.buf;
    int64_t wnx = i_hi - i_lo + 1, wny = j_hi - j_lo + 1, wn = wnx * wny;
    PyObject *result = NULL;
    double *dxs = NULL, *dys = NULL, *hx = NULL, *hyt = NULL, *hxt = NULL, *hy = NULL;
    double *best = NULL, *segc = NULL, *gextra = NULL, *sink_best = NULL;
    int64_t *back = NULL;
    unsigned char *known = NULL, *sink_back = NULL;
    Heap heap = {NULL, 0, 0};

    if (!(dxs = floats(o_dxs, nx - 1)) || !(dys = floats(o_dys, ny - 1)) || !(hx = floats(o_hx, nx)) ||
        !(hyt = floats(o_hyt, ny)) || !(hxt = floats(o_hxt, nx)) || !(hy = floats(o_hy, ny)))
        goto done;
    /* per point or state of the window: l = (j - j_lo) * wnx + (i - i_lo), state 2 * l + d;
     * per unit segment from point l: right l, up wn + l */
    best = malloc((size_t)(2 * wn) * sizeof(double));
    back = malloc((size_t)(2 * wn) * sizeof(int64_t));
    segc = malloc((size_t)(2 * wn) * sizeof(double));
    known = calloc((size_t)(2 * wn), 1);
    gextra = malloc((size_t)wn * sizeof(double));
    sink_best = malloc((size_t)wn * sizeof(double));
    sink_back = calloc((size_t)wn, 1);
    if (!best || !back || !segc || !known || !gextra || !sink_best || !sink_back) {
        PyErr_NoMemory();
        goto done;
    }
    for (int64_t s = 0; s < 2 * wn; s++) best[s] = INFINITY;
    for (int64_t l = 0; l < wn; l++) {
        gextra[l] = NAN; /* not a goal */
        sink_best[l] = INFINITY;
    }
    {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (PyDict_Next(goal, &pos, &key, &value)) {
            long long p = PyLong_AsLongLong(key);
            double e = PyFloat_AsDouble(value);
            if (PyErr_Occurred()) goto done;
            if (p >= 0 && p < n && p % nx >= i_lo && p % nx <= i_hi && p / nx >= j_lo && p / nx <= j_hi)
                gextra[(p / nx - j_lo) * wnx + (p % nx - i_lo)] = e;
        }
    }
    {
        int64_t j0 = start / nx, i0 = start % nx;
        double a = hx[i0] + hyt[j0], b = hxt[i0] + hy[j0];
        if (heap_push(&heap, a < b ? a : b, 0.0, start, 4)) {
            PyErr_NoMemory();
            goto done;
        }
    }
#define LOCAL(p) (((p) / nx - j_lo) * wnx + ((p) % nx - i_lo))
    while (heap.len) {
        Entry e = heap_pop(&heap);
        double cost = e.cost, h_turn, v_turn;
        int64_t p = e.p, l = LOCAL(p);
        int d = e.d;
        if (e.f > stop) {
            result = Py_BuildValue("(i)", 1);
            goto done;
        }
        if (d == 5) { /* the sink of goal point p: walk the back links to the start */
            double total = sink_best[l];
            int64_t count = 0, q = p;
            int qd = sink_back[l];
            for (;;) {
                count++;
                if (qd == 4) break;
                int64_t link = back[2 * LOCAL(q) + qd];
                q = link >> 3;
                qd = (int)(link & 7);
            }
            PyObject *cells = PyList_New((Py_ssize_t)count);
            if (!cells) goto done;
            q = p;
            qd = sink_back[l];
            for (int64_t k = count - 1; k >= 0; k--) {
                PyObject *v = PyLong_FromLongLong(q);
                if (!v) {
                    Py_DECREF(cells);
                    goto done;
                }
                PyList_SET_ITEM(cells, (Py_ssize_t)k, v);
                if (qd == 4) break;
                int64_t link = back[2 * LOCAL(q) + qd];
                q = link >> 3;
                qd = (int)(link & 7);
            }
            result = Py_BuildValue("(iNd)", 2, cells, total);
            goto done;
        }
        if (d == 4) {
            if (cost > 0.0) continue;
            h_turn = v_turn = 0.0;
        } else {
            if (best[2 * l + d] < cost) continue;
            if (!isnan(gextra[l])) {
                double total = cost + gextra[l];
                if (total < sink_best[l]) {
                    sink_best[l] = total;
                    sink_back[l] = (unsigned char)d;
                    if (heap_push(&heap, total, total, p, 5)) {
                        PyErr_NoMemory();
                        goto done;
                    }
                }
            }
            if (d) {
                h_turn = bend;
                v_turn = 0.0;
            } else {
                h_turn = 0.0;
                v_turn = bend;
            }
        }
        int64_t j = p / nx, i = p % nx;
        /* the four moves: right, left, up, down (the order of routes.py) */
        for (int move = 0; move < 4; move++) {
            int64_t k, kl, q, ql;
            double length, turn, c, f;
            int nd;
            if (move == 0) {
                if (i >= i_hi) continue;
                k = p, kl = l, q = p + 1, ql = l + 1, length = dxs[i], turn = h_turn, nd = 0;
            } else if (move == 1) {
                if (i <= i_lo) continue;
                k = p - 1, kl = l - 1, q = p - 1, ql = l - 1, length = dxs[i - 1], turn = h_turn, nd = 0;
            } else if (move == 2) {
                if (j >= j_hi) continue;
                k = n + p, kl = wn + l, q = p + nx, ql = l + wnx, length = dys[j], turn = v_turn, nd = 1;
            } else {
                if (j <= j_lo) continue;
                q = p - nx, ql = l - wnx, k = n + q, kl = wn + ql, length = dys[j - 1], turn = v_turn, nd = 1;
            }
            if (!spec[k]) {
                c = length;
            } else if (known[kl]) {
                c = segc[kl];
            } else {
                c = segment_cost(&t, k, length, spec[k]);
                if (c == -2.0 && PyErr_Occurred()) goto done;
                segc[kl] = c;
                known[kl] = 1;
            }
            if (c < 0) continue;
            c += cost + turn;
            int64_t s = 2 * ql + nd;
            if (c < best[s]) {
                best[s] = c;
                back[s] = 8 * p + d;
                if (move == 0)
                    f = c + hx[i + 1] + hyt[j];
                else if (move == 1)
                    f = c + hx[i - 1] + hyt[j];
                else if (move == 2)
                    f = c + hxt[i] + hy[j + 1];
                else
                    f = c + hxt[i] + hy[j - 1];
                if (heap_push(&heap, f, c, q, nd)) {
                    PyErr_NoMemory();
                    goto done;
                }
            }
        }
    }
#undef LOCAL
    result = Py_BuildValue("(i)", 0);
done:
    PyBuffer_Release(&mask);
    free(dxs);
    free(dys);
    free(hx);
    free(hyt);
    free(hxt);
    free(hy);
    free(best);
    free(back);
    free(segc);
    free(known);
    free(gextra);
    free(sink_best);
    free(sink_back);
    free(heap.a);
    return result;
}


/* ---- Router._cells_of: the unit segments a line's pieces cross and run along ---- */

static PyObject *math_hypot; /* math.hypot: where a distance must be Python's to the last bit */

/* Python's min(a, b) and max(a, b) of two floats: the first of equal ones. */
static double pmin(double a, double b) { return b < a ? b : a; }
static double pmax(double a, double b) { return b > a ? b : a; }

/* bisect.bisect_left and bisect_right over a sorted array. */
static Py_ssize_t bisect_l(const double *a, Py_ssize_t n, double x) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (a[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static Py_ssize_t bisect_r(const double *a, Py_ssize_t n, double x) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (x < a[mid]) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* math.hypot(u, v), by Python (-1 with an exception set). */
static double py_hypot(double u, double v) {
    PyObject *r = PyObject_CallFunction(math_hypot, "dd", u, v);
    if (!r) return -1.0;
    double h = PyFloat_AsDouble(r);
    Py_DECREF(r);
    return h;
}

/* math.hypot(u, v) <= limit, as Python decides it: 1, 0, or -1 with an exception set.
 * Python is asked only when the sum of squares is within a billionth of the limit's square
 * (their rounding errors are some 1e-16). */
static int within(double u, double v, double limit) {
    double s = u * u + v * v, l2 = limit * limit;
    if (s <= l2 * (1.0 - 1e-9)) return 1;
    if (s >= l2 * (1.0 + 1e-9)) return 0;
    double h = py_hypot(u, v);
    if (h == -1.0 && PyErr_Occurred()) return -1;
    return h <= limit;
}

/* routes._seg_dist(p, a, b) <= limit: 1, 0, or -1 with an exception set. */
static int seg_within(double px, double py, double ax, double ay, double bx, double by, double limit) {
    double dx = bx - ax, dy = by - ay;
    double ll = dx * dx + dy * dy;
    double t = ll == 0 ? 0.0 : pmax(0.0, pmin(1.0, ((px - ax) * dx + (py - ay) * dy) / ll));
    return within(px - ax - t * dx, py - ay - t * dy, limit);
}

/* routes._near(p, q, a, b) for a unit segment p-q (horizontal or vertical): 1, 0, or -1
 * with an exception set. */
static int near_(double px, double py, double qx, double qy, double ax, double ay, double bx, double by,
                 double limit) {
    /* _overlap_length: math.hypot of a horizontal or vertical step is its length */
    double dx = qx - px, dy = qy - py, ll;
    if (dy == 0.0)
        ll = fabs(dx);
    else if (dx == 0.0)
        ll = fabs(dy);
    else if ((ll = py_hypot(dx, dy)) == -1.0 && PyErr_Occurred())
        return -1;
    double overlap;
    if (ll == 0) {
        overlap = 0.0;
    } else {
        double ta = ((ax - px) * dx + (ay - py) * dy) / ll;
        double tb = ((bx - px) * dx + (by - py) * dy) / ll;
        overlap = pmax(0.0, pmin(ll, pmax(ta, tb)) - pmax(0.0, pmin(ta, tb)));
    }
    if (!(overlap > 0.5)) return 0;
    int r = seg_within(px, py, ax, ay, bx, by, limit);
    if (r) return r;
    if ((r = seg_within(qx, qy, ax, ay, bx, by, limit))) return r;
    return seg_within((px + qx) / 2, (py + qy) / 2, ax, ay, bx, by, limit);
}

/* Append the number v to list out: 0, or -1 with an exception set. */
static int append_long(PyObject *out, int64_t v) {
    PyObject *o = PyLong_FromLongLong(v);
    if (!o) return -1;
    int r = PyList_Append(out, o);
    Py_DECREF(o);
    return r;
}

/* cells(xs, ys, points, near) -> (crossed, along): Router._cells_of's loop over the pieces
 * of a line (its corners are left to routes.py), the same unit segments in the same order.
 * xs and ys: the grid lines, as buffers of doubles (array("d")). */
static PyObject *cells(PyObject *self, PyObject *args) {
    PyObject *o_xs, *o_ys, *o_points, *result = NULL, *crossed = NULL, *along = NULL;
    double near;
    Py_buffer bx_, by_;
    double *pts = NULL;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOd", &o_xs, &o_ys, &o_points, &near)) return NULL;
    if (PyObject_GetBuffer(o_xs, &bx_, PyBUF_FORMAT) < 0) return NULL;
    if (PyObject_GetBuffer(o_ys, &by_, PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&bx_);
        return NULL;
    }
    if (!bx_.format || strcmp(bx_.format, "d") || !by_.format || strcmp(by_.format, "d")) {
        PyErr_SetString(PyExc_TypeError, "the grid lines must be buffers of doubles");
        goto done;
    }
    const double *xs = bx_.buf, *ys = by_.buf;
    Py_ssize_t nx = bx_.len / (Py_ssize_t)sizeof(double), ny = by_.len / (Py_ssize_t)sizeof(double);
    int64_t n = (int64_t)nx * ny;
    PyObject *seq = PySequence_Fast(o_points, "a list of points was expected");
    if (!seq) goto done;
    Py_ssize_t np = PySequence_Fast_GET_SIZE(seq);
    pts = malloc((size_t)(np ? 2 * np : 1) * sizeof(double));
    if (!pts) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < np; k++) {
        PyObject *pt = PySequence_Fast(PySequence_Fast_GET_ITEM(seq, k), "a point is (x, y)");
        if (!pt) {
            Py_DECREF(seq);
            goto done;
        }
        if (PySequence_Fast_GET_SIZE(pt) != 2) {
            Py_DECREF(pt);
            Py_DECREF(seq);
            PyErr_SetString(PyExc_ValueError, "a point is (x, y)");
            goto done;
        }
        pts[2 * k] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(pt, 0));
        pts[2 * k + 1] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(pt, 1));
        Py_DECREF(pt);
        if (PyErr_Occurred()) {
            Py_DECREF(seq);
            goto done;
        }
    }
    Py_DECREF(seq);
    if (!(crossed = PyList_New(0)) || !(along = PyList_New(0))) goto done;
    for (Py_ssize_t k = 0; k + 1 < np; k++) {
        double ax = pts[2 * k], ay = pts[2 * k + 1], bx = pts[2 * k + 2], by = pts[2 * k + 3];
        double adx = fabs(ax - bx), ady = fabs(ay - by);
        if (adx < 0.5 && ady < 0.5) continue;
        /* crossings with the grid lines it passes */
        if (adx >= 0.5) {
            double lo = pmin(ax, bx), hi = pmax(ax, bx);
            for (Py_ssize_t i = bisect_l(xs, nx, lo), e = bisect_l(xs, nx, hi); i < e; i++) {
                double y = ay + (by - ay) * (xs[i] - ax) / (bx - ax);
                Py_ssize_t j = bisect_l(ys, ny, y) - 1;
                if (0 <= j && j < ny - 1 && append_long(crossed, n + j * nx + i)) goto done;
            }
        }
        if (ady >= 0.5) {
            double lo = pmin(ay, by), hi = pmax(ay, by);
            for (Py_ssize_t j = bisect_l(ys, ny, lo), e = bisect_l(ys, ny, hi); j < e; j++) {
                double x = ax + (bx - ax) * (ys[j] - ay) / (by - ay);
                Py_ssize_t i = bisect_l(xs, nx, x) - 1;
                if (0 <= i && i < nx - 1 && append_long(crossed, j * nx + i)) goto done;
            }
        }
        /* running along it */
        double bx0, bx1, by0, by1;
        if (pmin(adx, ady) > 0.2 * pmax(adx, ady)) {
            bx0 = bx1 = by0 = by1 = 0.0;
        } else {
            bx0 = pmin(ax, bx) - near, bx1 = pmax(ax, bx) + near;
            by0 = pmin(ay, by) - near, by1 = pmax(ay, by) + near;
        }
        int flat = ady <= adx;
        Py_ssize_t ilo = bisect_l(xs, nx, bx0) - 1, ihi = bisect_r(xs, nx, bx1) + 1;
        Py_ssize_t jlo = bisect_l(ys, ny, by0) - 1, jhi = bisect_r(ys, ny, by1) + 1;
        ilo = ilo > 0 ? ilo : 0, ihi = ihi < nx ? ihi : nx;
        jlo = jlo > 0 ? jlo : 0, jhi = jhi < ny ? jhi : ny;
        double ly0 = pmin(ay, by) - near - 1e-6, ly1 = pmax(ay, by) + near + 1e-6;
        double lx0 = pmin(ax, bx) - near - 1e-6, lx1 = pmax(ax, bx) + near + 1e-6;
        double ddx = bx - ax, ddy = by - ay;
        double h = py_hypot(ddx, ddy);
        if (h == -1.0 && PyErr_Occurred()) goto done;
        double reach = (near + 1.0) * h;
        for (Py_ssize_t j = jlo; j < jhi; j++) {
            if (flat && !(ly0 <= ys[j] && ys[j] <= ly1)) continue;
            Py_ssize_t i0 = ilo, i1 = ihi;
            if (ddy != 0.0 && (flat || j + 1 < jhi)) {
                double t0 = (ys[j] - ay) * ddx;
                double t1 = flat ? t0 : (ys[j + 1] - ay) * ddx;
                double u0 = (pmin(t0, t1) - reach) / ddy, u1 = (pmax(t0, t1) + reach) / ddy;
                double w0 = ax + pmin(u0, u1) - 1.0, w1 = ax + pmax(u0, u1) + 1.0;
                Py_ssize_t a0 = bisect_l(xs, nx, w0) - 1, a1 = bisect_r(xs, nx, w1);
                i0 = a0 > ilo ? a0 : ilo;
                i1 = a1 < ihi ? a1 : ihi;
            }
            for (Py_ssize_t i = i0; i < i1; i++) {
                if (!flat && !(lx0 <= xs[i] && xs[i] <= lx1)) continue;
                int r;
                if (flat && i + 1 < ihi) {
                    if ((r = near_(xs[i], ys[j], xs[i + 1], ys[j], ax, ay, bx, by, near)) < 0) goto done;
                    if (r && append_long(along, j * nx + i)) goto done;
                }
                if (!flat && j + 1 < jhi) {
                    if ((r = near_(xs[i], ys[j], xs[i], ys[j + 1], ax, ay, bx, by, near)) < 0) goto done;
                    if (r && append_long(along, n + j * nx + i)) goto done;
                }
            }
        }
    }
    result = PyTuple_Pack(2, crossed, along);
done:
    Py_XDECREF(crossed);
    Py_XDECREF(along);
    free(pts);
    PyBuffer_Release(&bx_);
    PyBuffer_Release(&by_);
    return result;
}

/* ---- Router._mark: what lies on unit segments, written into one of the tables ---- */

/* mark(table, bit, special, cells, value, owner) -> None: for each unit segment k of
 * ``cells`` (a list or tuple of ints), in order, special[k] |= bit (a writable buffer of
 * bytes) and, by the table (its bit, as routes.py numbers them):
 *   BLOCK 1, INSIDE 2, CROSS 16: table[k] = table.get(k, ()) + (value,)    (tuples)
 *   LABEL 4: table.add(k)                                                  (a set)
 *   OVERLAP 8: was = table.get(k); table[k] = value if was is None, else was | value if
 *      owner is not in was                        (frozensets; value = {owner})
 * As Router._mark does in Python. */
static PyObject *mark(PyObject *self, PyObject *args) {
    PyObject *table, *o_special, *o_cells, *value, *owner, *seq = NULL, *result = NULL;
    PyObject *single = NULL, *last_was = NULL, *last_now = NULL;
    int bit;
    Py_buffer sp;
    (void)self;
    if (!PyArg_ParseTuple(args, "OiOOOO", &table, &bit, &o_special, &o_cells, &value, &owner)) return NULL;
    if (bit != BLOCK && bit != INSIDE && bit != LABEL && bit != OVERLAP && bit != CROSS) {
        PyErr_SetString(PyExc_ValueError, "not the bit of a table");
        return NULL;
    }
    if (bit == LABEL ? !PySet_Check(table) : !PyDict_Check(table)) {
        PyErr_SetString(PyExc_TypeError, bit == LABEL ? "the table must be a set" : "the table must be a dict");
        return NULL;
    }
    if (PyObject_GetBuffer(o_special, &sp, PyBUF_WRITABLE) < 0) return NULL;
    unsigned char *special = sp.buf;
    if (!(seq = PySequence_Fast(o_cells, "a list of unit segments was expected"))) goto done;
    for (Py_ssize_t m = 0; m < PySequence_Fast_GET_SIZE(seq); m++) {
        PyObject *key = PySequence_Fast_GET_ITEM(seq, m), *was, *now;
        Py_ssize_t k = PyLong_AsSsize_t(key);
        if (k == -1 && PyErr_Occurred()) goto done;
        if (k < 0 || k >= sp.len) {
            PyErr_SetString(PyExc_IndexError, "a unit segment off the grid");
            goto done;
        }
        if (bit == LABEL) {
            if (PySet_Add(table, key) < 0) goto done;
        } else {
            was = PyDict_GetItemWithError(table, key);
            if (!was && PyErr_Occurred()) goto done;
            if (bit != OVERLAP) {
                /* the new tuple: one (value,) for all the segments that held nothing, and
                 * one was + (value,) for a run of segments that held the same tuple was
                 * (most of a box's segments are alike): equal to the tuples Python makes
                 * for each, without making them one by one */
                if (!was) {
                    if (!single) {
                        if (!(single = PyTuple_Pack(1, value))) goto done;
                        if (PyUnicode_CheckExact(value)) PyObject_GC_UnTrack(single);
                    }
                    now = single;
                } else if (was == last_was) {
                    now = last_now;
                } else {
                    if (!PyTuple_Check(was)) {
                        PyErr_SetString(PyExc_TypeError, "the table's entries must be tuples");
                        goto done;
                    }
                    Py_ssize_t size = PyTuple_GET_SIZE(was);
                    if (!(now = PyTuple_New(size + 1))) goto done;
                    for (Py_ssize_t q = 0; q < size; q++) {
                        PyObject *item = PyTuple_GET_ITEM(was, q);
                        Py_INCREF(item);
                        PyTuple_SET_ITEM(now, q, item);
                    }
                    Py_INCREF(value);
                    PyTuple_SET_ITEM(now, size, value);
                    /* a tuple of names holds no reference cycle: the collector need not
                     * visit it (it would find so itself at its next pass) */
                    if (PyUnicode_CheckExact(value) && !PyObject_GC_IsTracked(was)) PyObject_GC_UnTrack(now);
                    Py_INCREF(was); /* held while it is compared with: no other object takes its place */
                    Py_XSETREF(last_was, was);
                    Py_XSETREF(last_now, now);
                }
                if (PyDict_SetItem(table, key, now) < 0) goto done;
            } else if (!was) {
                if (PyDict_SetItem(table, key, value) < 0) goto done;
            } else {
                int in = PySequence_Contains(was, owner);
                if (in < 0) goto done;
                if (!in) {
                    if (!(now = PyNumber_Or(was, value))) goto done;
                    int r = PyDict_SetItem(table, key, now);
                    Py_DECREF(now);
                    if (r < 0) goto done;
                }
            }
        }
        special[k] |= (unsigned char)bit;
    }
    Py_INCREF(Py_None);
    result = Py_None;
done:
    Py_XDECREF(single);
    Py_XDECREF(last_was);
    Py_XDECREF(last_now);
    Py_XDECREF(seq);
    PyBuffer_Release(&sp);
    return result;
}

/* ---- Router._covered: the unit segments inside a box ---- */

/* A buffer of doubles (array("d")): 0, or -1 with an exception set. */
static int doubles(PyObject *o, Py_buffer *b) {
    if (PyObject_GetBuffer(o, b, PyBUF_FORMAT) < 0) return -1;
    if (!b->format || strcmp(b->format, "d")) {
        PyBuffer_Release(b);
        PyErr_SetString(PyExc_TypeError, "the grid lines must be buffers of doubles");
        return -1;
    }
    return 0;
}

/* covered(xs, ys, mx, my, x0, y0, x1, y1, touching) -> [unit segments]: Router._covered
 * of the box (x0, y0, x1, y1); xs, ys: the grid lines, mx, my: the middles of the unit
 * segments along each axis, as buffers of doubles. The same segments in the same order. */
static PyObject *covered(PyObject *self, PyObject *args) {
    PyObject *o[4], *out = NULL;
    double x0, y0, x1, y1;
    int touching, got = 0;
    Py_buffer b[4];
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOddddp", &o[0], &o[1], &o[2], &o[3], &x0, &y0, &x1, &y1, &touching))
        return NULL;
    for (; got < 4; got++)
        if (doubles(o[got], &b[got]) < 0) goto done;
    const double *xs = b[0].buf, *ys = b[1].buf, *mx = b[2].buf, *my = b[3].buf;
    Py_ssize_t nx = b[0].len / (Py_ssize_t)sizeof(double), ny = b[1].len / (Py_ssize_t)sizeof(double);
    Py_ssize_t nmx = b[2].len / (Py_ssize_t)sizeof(double), nmy = b[3].len / (Py_ssize_t)sizeof(double);
    int64_t n = (int64_t)nx * ny;
    Py_ssize_t jlo = bisect_r(ys, ny, y0), jhi = bisect_l(ys, ny, y1);
    Py_ssize_t ilo = bisect_r(xs, nx, x0), ihi = bisect_l(xs, nx, x1);
    Py_ssize_t ia, ib, ja, jb;
    if (touching) {
        ia = ilo - 1 > 0 ? ilo - 1 : 0, ib = ihi < nx - 1 ? ihi : nx - 1;
        ja = jlo - 1 > 0 ? jlo - 1 : 0, jb = jhi < ny - 1 ? jhi : ny - 1;
    } else {
        ia = bisect_r(mx, nmx, x0), ib = bisect_l(mx, nmx, x1);
        ja = bisect_r(my, nmy, y0), jb = bisect_l(my, nmy, y1);
    }
    Py_ssize_t size = (ia < ib && jlo < jhi ? (jhi - jlo) * (ib - ia) : 0)
                    + (ja < jb && ilo < ihi ? (ihi - ilo) * (jb - ja) : 0), m = 0;
    if (!(out = PyList_New(size))) goto done;
    if (ia < ib)
        for (Py_ssize_t j = jlo; j < jhi; j++)
            for (Py_ssize_t i = ia; i < ib; i++) {
                PyObject *k = PyLong_FromLongLong((int64_t)j * nx + i);
                if (!k) goto fail;
                PyList_SET_ITEM(out, m++, k);
            }
    if (ja < jb)
        for (Py_ssize_t i = ilo; i < ihi; i++)
            for (Py_ssize_t j = ja; j < jb; j++) {
                PyObject *k = PyLong_FromLongLong(n + (int64_t)j * nx + i);
                if (!k) goto fail;
                PyList_SET_ITEM(out, m++, k);
            }
    goto done;
fail:
    Py_CLEAR(out); /* the items not set yet are NULL: the list's dealloc skips them */
done:
    while (got > 0) PyBuffer_Release(&b[--got]);
    return out;
}

static PyMethodDef methods[] = {
    {"search", search, METH_VARARGS, "The A* search of routes.Router._search (see routes.py)."},
    {"cells", cells, METH_VARARGS, "Router._cells_of's loop over a line's pieces (see routes.py)."},
    {"covered", covered, METH_VARARGS, "Router._covered: the unit segments inside a box (see routes.py)."},
    {"mark", mark, METH_VARARGS, "Router._mark's loop: what lies on unit segments (see routes.py)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_routesearch", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__routesearch(void) {
    if (!math_hypot) {
        PyObject *math = PyImport_ImportModule("math");
        if (!math) return NULL;
        math_hypot = PyObject_GetAttrString(math, "hypot");
        Py_DECREF(math);
        if (!math_hypot) return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m && PyModule_AddIntConstant(m, "VERSION", VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
