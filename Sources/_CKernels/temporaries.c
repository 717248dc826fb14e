// Temporary files being written, removed by a SIGINT or SIGTERM handler before the process exits.
// Only async-signal-safe calls (unlink, write, _exit) run in the handler; the table is fixed-size static memory,
// a slot's path is written before the slot is published and unpublished before it is reused.
#include "kernels.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#define SLOTS 64
#define PATH_BYTES 4096

static char temporary[SLOTS][PATH_BYTES];
static char destination[SLOTS][PATH_BYTES];
static volatile sig_atomic_t used[SLOTS];
static volatile sig_atomic_t installed;

static void say(const char *text) {
    size_t n = strlen(text);
    while (n > 0) {
        ssize_t written = write(STDERR_FILENO, text, n);
        if (written <= 0) return;
        text += written;
        n -= (size_t)written;
    }
}

static void on_signal(int number) {
    int removed = 0;
    for (int i = 0; i < SLOTS; i++) {
        if (__atomic_load_n(&used[i], __ATOMIC_ACQUIRE) == 1) {
            unlink(temporary[i]);
            if (removed == 0) {
                say(number == SIGINT ? "matryoshka: interrupted (SIGINT): nothing was written to "
                                     : "matryoshka: terminated (SIGTERM): nothing was written to ");
            } else {
                say(", ");
            }
            say(destination[i]);
            removed++;
        }
    }
    if (removed > 0) say(" (its partial temporary file is removed)\n");
    _exit(128 + number);
}

/// Installs the handler for a signal whose disposition is the default (a server that handles SIGTERM itself,
/// or a shell that ignores SIGINT, keeps its own disposition).
static void install(int number) {
    struct sigaction current;
    if (sigaction(number, NULL, &current) != 0 || current.sa_handler != SIG_DFL) return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaddset(&action.sa_mask, SIGINT);
    sigaddset(&action.sa_mask, SIGTERM);
    sigaction(number, &action, NULL);
}

int matryoshka_temporary_register(const char *temporary_path, const char *destination_path) {
    if (strlen(temporary_path) >= PATH_BYTES || strlen(destination_path) >= PATH_BYTES) return -1;
    if (!__atomic_exchange_n(&installed, 1, __ATOMIC_ACQ_REL)) {
        install(SIGINT);
        install(SIGTERM);
    }
    for (int i = 0; i < SLOTS; i++) {
        sig_atomic_t expected = 0;
        // Claim with 2 (taken, not yet published), fill, then publish as 1.
        if (__atomic_compare_exchange_n(&used[i], &expected, 2, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            strcpy(temporary[i], temporary_path);
            strcpy(destination[i], destination_path);
            __atomic_store_n(&used[i], 1, __ATOMIC_RELEASE);
            return i;
        }
    }
    return -1;
}

void matryoshka_temporary_unregister(int slot) {
    if (slot >= 0 && slot < SLOTS) __atomic_store_n(&used[slot], 0, __ATOMIC_RELEASE);
}
