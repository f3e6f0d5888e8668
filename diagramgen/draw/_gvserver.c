/* Preloaded into one Graphviz process per command (LD_PRELOAD; see graphvizserver.py):
 * that process loads Graphviz's libraries, its plugins and the font configuration once,
 * then forks a copy of itself for each Graphviz run diagramgen asks for. Each copy runs
 * Graphviz's own main() with the run's arguments, standard streams and folder, as a
 * new `dot` process would, without starting a program: no exec, no dynamic linking,
 * no reading of the font configuration. A run of dot costs about 10 ms of CPU before
 * it reads its input; a forked copy about 3 ms.
 *
 * It replaces __libc_start_main, the C library's function that calls main(). Unless
 * the environment names a control socket (DIAGRAMGEN_GV_SERVER=<descriptor>), it calls
 * the C library's own at once: the program runs as it would without this library.
 * With it, it serves requests on that socket (a Unix socket of type SOCK_SEQPACKET):
 *
 * - when ready, it sends the one byte "R";
 * - a request is one message: the folder, then each argument, each ended by a NUL
 *   byte, with four descriptors: the run's standard input, output and error, and the
 *   descriptor where its progress is written;
 * - on that last descriptor it writes "P<pid>\n" once the copy is running, then
 *   "S<status>\n" when it has ended (its exit status, or minus the signal that ended
 *   it), and closes it. A request it cannot serve gets "E<reason>\n" instead.
 * - a message "K<pid>" (no descriptors) kills that run with SIGKILL, if it is one of
 *   the server's and has not been waited for (so the number is not another process's);
 * - at the end of the socket (diagramgen closes it, or ended), it kills the copies
 *   still running (diagramgen waits for every run it wants before it closes the
 *   socket), waits for them and exits. Every copy is waited for, so their CPU time is
 *   counted as the server's children's, and so as diagramgen's.
 *
 * Nothing of Graphviz runs in the server itself: each copy starts from the state the
 * program had before main(), plus the libraries loaded. The plugin libraries loaded in
 * advance are those a diagram needs (core, dot and neato layouts, pango); the others
 * load in the copy that asks for them, as they would in a new process.
 *
 * Fonts made ready in advance: Graphviz's text layout (the pango plugin) makes a Pango
 * font map the first time a run measures text, and in it finds, opens and prepares each
 * font a label uses (fontconfig's matching, FreeType's loading and hinting program):
 * about 3 ms of a copy's CPU for a diagram with four sizes of one font. The server makes
 * that font map once, lays out a short text (regular and bold) in each font that
 * DIAGRAMGEN_GV_FONTS names (Pango font descriptions, separated by ";", such as
 * "DejaVu Sans 12"), with the context Graphviz sets up (its font options and
 * resolution), and gives each copy a reference to it when Graphviz asks for a new one
 * (pango_cairo_font_map_new, which this library provides). The fonts chosen and their
 * measures are Pango's, as in a font map made by the copy: only what was looked up
 * before is not looked up again (the tests compare the copies' output with dot's). A
 * font that is not named, or not installed, is found in the copy as without this.
 *
 * Not a Python module: it includes no Python header and is never imported.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);

#define ENV_NAME "DIAGRAMGEN_GV_SERVER"
#define ENV_FONTS "DIAGRAMGEN_GV_FONTS" /* the fonts to make ready (make_fontmap) */
#define MAX_REQUEST 65536
#define MAX_ARGS 256

struct run {
    pid_t pid;
    int progress;
};

#define MAX_RUNS 1024 /* at once; diagramgen runs one per core */
static struct run runs[MAX_RUNS]; /* not allocated: see warm_up */
static size_t n_runs;
static int wake[2] = {-1, -1}; /* written by the SIGCHLD handler */

static void on_child(int sig) {
    (void)sig;
    int saved = errno;
    ssize_t ignored = write(wake[1], "c", 1); /* full pipe: a wake-up is pending anyway */
    (void)ignored;
    errno = saved;
}

static void say(int fd, char kind, long value) {
    char line[32];
    int n = snprintf(line, sizeof line, "%c%ld\n", kind, value);
    ssize_t ignored = write(fd, line, (size_t)n); /* diagramgen may have stopped reading */
    (void)ignored;
}

static void refuse(int fd, const char *why) {
    char line[256];
    int n = snprintf(line, sizeof line, "E%s\n", why);
    ssize_t ignored = write(fd, line, (size_t)n);
    (void)ignored;
}

/* The font map made in advance (see the description at the top), and what Graphviz's
 * own call of pango_cairo_font_map_new() gets in a copy: a new reference to it. */
typedef void *(*fontmap_new_fn)(void);
static void *made_fontmap;
static void *(*object_ref)(void *);
static fontmap_new_fn real_fontmap_new;
#define MAX_FONTS_SPEC 8192
static char fonts_spec[MAX_FONTS_SPEC]; /* DIAGRAMGEN_GV_FONTS, copied: not in the copies' environment */

void *pango_cairo_font_map_new(void) {
    if (made_fontmap != NULL && object_ref != NULL)
        return object_ref(made_fontmap);
    if (real_fontmap_new == NULL)
        real_fontmap_new = (fontmap_new_fn)dlsym(RTLD_NEXT, "pango_cairo_font_map_new");
    if (real_fontmap_new == NULL) { /* Pango came with a plugin, outside the global scope */
        void *lib = dlopen("libpangocairo-1.0.so.0", RTLD_LAZY | RTLD_NOLOAD);
        if (lib != NULL)
            real_fontmap_new = (fontmap_new_fn)dlsym(lib, "pango_cairo_font_map_new");
    }
    if (real_fontmap_new == NULL) {
        fputs("diagramgen: pango_cairo_font_map_new not found by the Graphviz server library\n", stderr);
        abort();
    }
    return real_fontmap_new();
}

typedef struct {
    int x, y, width, height;
} pango_rectangle;

/* Cairo's values for the font options Graphviz's pango plugin sets (gvtextlayout_pango.c) */
#define ANTIALIAS_GRAY 2
#define HINT_STYLE_FULL 4
#define HINT_METRICS_ON 2
#define SUBPIXEL_ORDER_BGR 2
#define GRAPHVIZ_FONT_DPI 96.0

/* Make the font map and prepare in it the fonts of fonts_spec; ``pango`` is the pango
 * plugin's handle (its dependencies hold Pango, Cairo and GObject). Nothing is made
 * unless every function is found; a font map is kept only once it is ready. */
static void make_fontmap(void *pango) {
    fontmap_new_fn map_new = (fontmap_new_fn)dlsym(pango, "pango_cairo_font_map_new");
    void *(*context_new)(void *) = dlsym(pango, "pango_font_map_create_context");
    void (*list_families)(void *, void ***, int *) = dlsym(pango, "pango_font_map_list_families");
    void *(*options_new)(void) = dlsym(pango, "cairo_font_options_create");
    void (*set_antialias)(void *, int) = dlsym(pango, "cairo_font_options_set_antialias");
    void (*set_hint_style)(void *, int) = dlsym(pango, "cairo_font_options_set_hint_style");
    void (*set_hint_metrics)(void *, int) = dlsym(pango, "cairo_font_options_set_hint_metrics");
    void (*set_subpixel_order)(void *, int) = dlsym(pango, "cairo_font_options_set_subpixel_order");
    void (*options_free)(void *) = dlsym(pango, "cairo_font_options_destroy");
    void (*context_options)(void *, void *) = dlsym(pango, "pango_cairo_context_set_font_options");
    void (*context_resolution)(void *, double) = dlsym(pango, "pango_cairo_context_set_resolution");
    void *(*description_new)(const char *) = dlsym(pango, "pango_font_description_from_string");
    void (*description_free)(void *) = dlsym(pango, "pango_font_description_free");
    void *(*layout_new)(void *) = dlsym(pango, "pango_layout_new");
    void (*layout_font)(void *, void *) = dlsym(pango, "pango_layout_set_font_description");
    void (*layout_markup)(void *, const char *, int) = dlsym(pango, "pango_layout_set_markup");
    void (*layout_extents)(void *, pango_rectangle *, pango_rectangle *) = dlsym(pango, "pango_layout_get_extents");
    void *(*ref)(void *) = dlsym(pango, "g_object_ref");
    void (*unref)(void *) = dlsym(pango, "g_object_unref");
    void (*g_free)(void *) = dlsym(pango, "g_free");
    if (!map_new || !context_new || !list_families || !options_new || !set_antialias || !set_hint_style
        || !set_hint_metrics || !set_subpixel_order || !options_free || !context_options || !context_resolution
        || !description_new || !description_free || !layout_new || !layout_font || !layout_markup
        || !layout_extents || !ref || !unref || !g_free)
        return;
    void *map = map_new();
    if (map == NULL)
        return;
    void *context = context_new(map);
    void *options = options_new();
    if (context == NULL || options == NULL) {
        if (context != NULL)
            unref(context);
        unref(map);
        return;
    }
    set_antialias(options, ANTIALIAS_GRAY);
    set_hint_style(options, HINT_STYLE_FULL);
    set_hint_metrics(options, HINT_METRICS_ON);
    set_subpixel_order(options, SUBPIXEL_ORDER_BGR);
    context_options(context, options);
    context_resolution(context, GRAPHVIZ_FONT_DPI);
    options_free(options);
    void **families = NULL;
    int n_families = 0;
    list_families(map, &families, &n_families); /* Graphviz lists them (its PostScript font names) */
    g_free(families);
    char spec[MAX_FONTS_SPEC];
    memcpy(spec, fonts_spec, sizeof spec);
    char *save = NULL;
    for (char *font = strtok_r(spec, ";", &save); font != NULL; font = strtok_r(NULL, ";", &save)) {
        if (*font == '\0')
            continue;
        void *description = description_new(font);
        void *layout = layout_new(context);
        if (description != NULL && layout != NULL) {
            pango_rectangle ink, logical;
            layout_font(layout, description);
            layout_markup(layout, "Ag 12 <b>Ag 12</b>", -1);
            layout_extents(layout, &ink, &logical);
        }
        if (layout != NULL)
            unref(layout);
        if (description != NULL)
            description_free(description);
    }
    unref(context);
    real_fontmap_new = map_new;
    object_ref = ref;
    made_fontmap = map;
}

/* Graphviz finds its plugins in the folder "graphviz" beside the libgvc it runs with,
 * which it looks for in /proc/self/maps unless GVBINDIR names that folder (gvconfig.c,
 * gvconfig_libdir): a read of some 300 lines in every copy. The server reads it once,
 * as Graphviz does (the first mapping of executable code whose path holds "/libgvc.",
 * not in a ".libs" folder), names the folder in GVBINDIR for its copies and loads the
 * plugins by the names Graphviz will give them, so that the copies' own loading finds
 * them loaded by name. Where GVBINDIR is set already, it is that folder; where no such
 * line is found, the folder beside libgvc as the dynamic linker named it, and GVBINDIR
 * stays unset. */
static char plugin_folder[4096];

static void find_plugin_folder(const char *gvc_file) {
    const char *given = getenv("GVBINDIR");
    if (given != NULL) {
        if (strlen(given) < sizeof plugin_folder)
            strcpy(plugin_folder, given);
        return;
    }
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[4096];
    while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
        if (strstr(line, " r-xp ") == NULL)
            continue;
        char *path = strchr(line, '/');
        char *name = path != NULL ? strstr(path, "/libgvc.") : NULL;
        if (name == NULL)
            continue;
        *name = '\0';
        const char *last = strrchr(path, '/');
        if (last != NULL && strcmp(last, "/.libs") == 0)
            continue;
        if (strlen(path) + sizeof "/graphviz" <= sizeof plugin_folder) {
            snprintf(plugin_folder, sizeof plugin_folder, "%s/graphviz", path);
            setenv("GVBINDIR", plugin_folder, 0);
        }
        break;
    }
    if (maps != NULL)
        fclose(maps);
    const char *slash = plugin_folder[0] == '\0' && gvc_file != NULL ? strrchr(gvc_file, '/') : NULL;
    if (slash != NULL && (size_t)(slash - gvc_file) + sizeof "/graphviz" <= sizeof plugin_folder)
        snprintf(plugin_folder, sizeof plugin_folder, "%.*s/graphviz", (int)(slash - gvc_file), gvc_file);
}

/* Load the plugins a diagram needs and the font configuration, from the folder of
 * Graphviz's plugins (find_plugin_folder), and make the font map (make_fontmap).
 * Whatever fails is left to the copies.
 *
 * It runs in a thread of its own, so that what it allocates comes from another arena of
 * the C library's allocator than the main thread's, and the server's main thread
 * allocates nothing: a copy's main thread then allocates from the same untouched heap
 * as a new process. Graphviz orders the clusters of a graph by the addresses of their
 * names, so the blocks left free by loading the font configuration in the main thread
 * would change the order of the clusters in the SVG, and could change a layout. */
static void *load_libraries(void *unused) {
    (void)unused;
    void *pango = NULL; /* its dependencies hold the font configuration's library */
    void *gvc = dlsym(RTLD_DEFAULT, "gvContext");
    Dl_info info;
    if (gvc != NULL && dladdr(gvc, &info))
        find_plugin_folder(info.dli_fname);
    if (plugin_folder[0] != '\0') {
        static const char *names[] = {"core", "dot_layout", "neato_layout", "pango", NULL};
        for (int i = 0; names[i] != NULL; i++) {
            char pattern[sizeof plugin_folder + 64];
            glob_t found;
            int n = snprintf(pattern, sizeof pattern, "%s/libgvplugin_%s.so.*", plugin_folder, names[i]);
            if (n <= 0 || (size_t)n >= sizeof pattern)
                continue;
            if (glob(pattern, 0, NULL, &found) == 0 && found.gl_pathc > 0) {
                void *handle = dlopen(found.gl_pathv[0], RTLD_NOW); /* kept for the copies */
                if (strcmp(names[i], "pango") == 0)
                    pango = handle;
            }
            globfree(&found);
        }
    }
    int (*fc_init)(void) = pango != NULL ? (int (*)(void))dlsym(pango, "FcInit") : NULL;
    if (fc_init != NULL)
        fc_init();
    if (pango != NULL)
        make_fontmap(pango);
    return NULL;
}

static void warm_up(void) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, load_libraries, NULL) == 0)
        pthread_join(thread, NULL);
}

static void reap(int block) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, block ? 0 : WNOHANG)) > 0) {
        for (size_t i = 0; i < n_runs; i++) {
            if (runs[i].pid != pid)
                continue;
            long code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
            say(runs[i].progress, 'S', code);
            close(runs[i].progress);
            runs[i] = runs[--n_runs];
            break;
        }
    }
}

static void close_all(int *fds, int n) {
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* One request: fork a copy that runs main() as the request says. */
static void serve_one(int sock, char *buf, ssize_t len, int *fds, int n_fds, start_fn real, main_fn main,
                      void (*init)(void), void (*fini)(void), void (*rtld_fini)(void), void *stack_end) {
    if (n_fds == 0 && len > 1 && len < 32 && buf[0] == 'K') { /* kill a run not yet reaped */
        char text[32];
        memcpy(text, buf + 1, (size_t)len - 1);
        text[len - 1] = '\0';
        long pid = strtol(text, NULL, 10);
        for (size_t i = 0; i < n_runs; i++)
            if (runs[i].pid == pid && pid > 0)
                kill((pid_t)pid, SIGKILL);
        return;
    }
    if (n_fds != 4) {
        if (n_fds > 0)
            refuse(fds[n_fds - 1], "expected four descriptors");
        close_all(fds, n_fds);
        return;
    }
    int progress = fds[3];
    char *argv[MAX_ARGS + 1];
    int argc = -1; /* the first string is the folder */
    char *folder = NULL;
    for (ssize_t at = 0; at < len;) {
        char *end = memchr(buf + at, '\0', (size_t)(len - at));
        if (end == NULL)
            break;
        if (argc < 0)
            folder = buf + at;
        else if (argc < MAX_ARGS)
            argv[argc] = buf + at;
        argc++;
        at = end - buf + 1;
    }
    if (folder == NULL || argc < 1 || argc > MAX_ARGS || buf[len - 1] != '\0') {
        refuse(progress, "malformed request");
        close_all(fds, 4);
        return;
    }
    argv[argc] = NULL;
    if (n_runs == MAX_RUNS) {
        refuse(progress, "too many runs at once");
        close_all(fds, 4);
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        refuse(progress, strerror(errno));
        close_all(fds, 4);
        return;
    }
    if (pid == 0) { /* the copy: a Graphviz run, with the signals as a new process has them */
        signal(SIGCHLD, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        close(sock);
        close(wake[0]);
        close(wake[1]);
        for (size_t i = 0; i < n_runs; i++)
            close(runs[i].progress);
        close(progress);
        for (int i = 0; i < 3; i++)
            if (dup2(fds[i], i) < 0)
                _exit(127);
        for (int i = 0; i < 3; i++)
            if (fds[i] > 2)
                close(fds[i]);
        if (chdir(folder) != 0) {
            fprintf(stderr, "cannot enter %s: %s\n", folder, strerror(errno));
            _exit(127);
        }
        exit(real(main, argc, argv, init, fini, rtld_fini, stack_end));
    }
    close_all(fds, 3);
    runs[n_runs].pid = pid;
    runs[n_runs].progress = progress;
    n_runs++;
    say(progress, 'P', (long)pid);
}

static int serve(int sock, start_fn real, main_fn main, void (*init)(void), void (*fini)(void),
                 void (*rtld_fini)(void), void *stack_end) {
    if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0)
        return 1;
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = on_child;
    act.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&act.sa_mask);
    if (sigaction(SIGCHLD, &act, NULL) != 0)
        return 1;
    signal(SIGPIPE, SIG_IGN); /* a closed progress pipe: diagramgen stopped waiting */
    warm_up();
    if (send(sock, "R", 1, MSG_NOSIGNAL) != 1)
        return 1;
    static char buf[MAX_REQUEST];
    for (;;) {
        struct pollfd poll_fds[2] = {{sock, POLLIN, 0}, {wake[0], POLLIN, 0}};
        if (poll(poll_fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (poll_fds[1].revents) {
            char drain[64];
            while (read(wake[0], drain, sizeof drain) > 0)
                ;
            reap(0);
        }
        if (!poll_fds[0].revents)
            continue;
        union {
            struct cmsghdr header;
            char space[CMSG_SPACE(8 * sizeof(int))];
        } control;
        struct iovec iov = {buf, sizeof buf};
        struct msghdr msg;
        memset(&msg, 0, sizeof msg);
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.space;
        msg.msg_controllen = sizeof control.space;
        ssize_t len = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        if (len < 0 && errno == EINTR)
            continue;
        if (len <= 0)
            break; /* the end of the socket: diagramgen is done */
        int fds[8];
        int n_fds = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < n && n_fds < 8; i++)
                memcpy(&fds[n_fds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        }
        if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
            if (n_fds > 0)
                refuse(fds[n_fds - 1], "request too long");
            close_all(fds, n_fds);
            continue;
        }
        serve_one(sock, buf, len, fds, n_fds, real, main, init, fini, rtld_fini, stack_end);
    }
    close(sock);
    /* diagramgen waits for every run before it closes the socket; a run still going
     * was left by a command stopped on the way, and nobody will read what it writes */
    for (size_t i = 0; i < n_runs; i++)
        kill(runs[i].pid, SIGKILL);
    reap(1);
    return 0;
}

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end) {
    start_fn real = (start_fn)dlsym(RTLD_NEXT, "__libc_start_main");
    const char *value = getenv(ENV_NAME);
    if (real == NULL) {
        fputs("diagramgen: __libc_start_main not found by the Graphviz server library\n", stderr);
        abort();
    }
    if (value == NULL)
        return real(main, argc, argv, init, fini, rtld_fini, stack_end);
    char *end;
    long sock = strtol(value, &end, 10);
    unsetenv(ENV_NAME); /* the copies run as plain Graphviz */
    const char *fonts = getenv(ENV_FONTS);
    if (fonts != NULL) {
        if (strlen(fonts) < sizeof fonts_spec)
            memcpy(fonts_spec, fonts, strlen(fonts) + 1);
        unsetenv(ENV_FONTS);
    }
    if (*value == '\0' || *end != '\0' || sock < 3 || sock > 1 << 20)
        _exit(2);
    /* Only Graphviz is served: a program without libgvc (a script standing in for dot
     * starts its interpreter, which loads this library too) ends at once, unrun, and
     * diagramgen starts that program for each run instead. */
    if (dlsym(RTLD_DEFAULT, "gvContext") == NULL)
        _exit(3);
    _exit(serve((int)sock, real, main, init, fini, rtld_fini, stack_end));
}
