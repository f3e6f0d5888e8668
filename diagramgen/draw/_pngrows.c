/* Preloaded into the Graphviz runs that write PNG (LD_PRELOAD; see render.py,
 * png_environment): Graphviz's cairo PNG writer leaves libpng on its default, which
 * tries five row filters on every row and keeps the one its heuristic prefers. For a
 * diagram (flat colours, anti-aliased edges, small icons) unfiltered rows compress
 * better and cost nothing to choose: the same pixels, fewer bytes, about a third less
 * CPU for the PNG run.
 *
 * It replaces one libpng function, png_write_info (called once per image, before any
 * row): it asks for no row filter (png_set_filter with PNG_FILTER_NONE) and then calls
 * libpng's own png_write_info. libpng is looked up among the loaded objects (Graphviz
 * loads cairo, and so libpng, as a plugin with its own symbol scope, where dlsym's
 * RTLD_NEXT does not reach). Should it not be found, the process aborts: diagramgen
 * then draws without this library (render.py).
 *
 * Not a Python module: it includes no Python header and is never imported.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PNG_FILTER_TYPE_BASE 0
#define PNG_FILTER_NONE 0x08

typedef void (*write_info_fn)(void *png, void *info);
typedef void (*set_filter_fn)(void *png, int method, int filters);

void png_write_info(void *png, void *info);

static write_info_fn real_write_info;
static set_filter_fn real_set_filter;

static int find_libpng(struct dl_phdr_info *lib, size_t size, void *unused) {
    (void)size;
    (void)unused;
    if (lib->dlpi_name == NULL || strstr(lib->dlpi_name, "libpng") == NULL)
        return 0;
    void *handle = dlopen(lib->dlpi_name, RTLD_NOW | RTLD_NOLOAD);
    if (handle == NULL)
        return 0;
    write_info_fn w = (write_info_fn)dlsym(handle, "png_write_info");
    set_filter_fn f = (set_filter_fn)dlsym(handle, "png_set_filter");
    dlclose(handle); /* NOLOAD took a reference; libpng stays loaded by cairo */
    if (w == NULL || w == png_write_info || f == NULL)
        return 0;
    real_write_info = w;
    real_set_filter = f;
    return 1;
}

void png_write_info(void *png, void *info) {
    if (real_write_info == NULL && dl_iterate_phdr(find_libpng, NULL) == 0) {
        fputs("diagramgen: libpng not found by the PNG row-filter library\n", stderr);
        abort();
    }
    real_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    real_write_info(png, info);
}
