/*
 * A stand-in for NVIDIA's libnvidia-ml.so.1, for tests on machines without a GPU. It exports the NVML entry points
 * the agent binds (same names, signatures and return codes as nvml.h) and answers from a script file named by
 * $FAKE_NVML_SCRIPT, re-read on every call so a test can change values while the agent runs:
 *
 *   init_fail 9                         nvmlInit_v2 returns this code
 *   gpu index=0 name=NVIDIA_H100_80GB_HBM3 uuid=GPU-0 mem_total=85899345920 mem_used=1073741824 util=40 temp=55
 *       power=300000 ecc=0 reasons=0    one line per device ('_' in name is a space)
 *   lost 1                              device 1 answers NVML_ERROR_GPU_IS_LOST
 *   xid 1 79                            an XID event on device 1, delivered once by nvmlEventSetWait_v2
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_FOUND 6
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_TIMEOUT 10
#define NVML_ERROR_GPU_IS_LOST 15
#define MAX_GPUS 16
#define MAX_XIDS 64

typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef struct {
    void *device;
    unsigned long long eventType;
    unsigned long long eventData;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlEventData_t;

typedef struct {
    int present, lost;
    char name[96], uuid[80];
    unsigned long long mem_total, mem_used, ecc, reasons;
    unsigned int util, temp, power;
} gpu_t;

typedef struct {
    int init_fail, count, xid_count;
    gpu_t gpus[MAX_GPUS];
    int xid_gpu[MAX_XIDS];
    unsigned long long xid_code[MAX_XIDS];
} script_t;

static int initialized;
static int xids_delivered;

static void load(script_t *s) {
    memset(s, 0, sizeof(*s));
    const char *path = getenv("FAKE_NVML_SCRIPT");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *save = NULL, *word = strtok_r(line, " \t\r\n", &save);
        if (!word) continue;
        if (strcmp(word, "init_fail") == 0) {
            char *v = strtok_r(NULL, " \t\r\n", &save);
            s->init_fail = v ? atoi(v) : 0;
        } else if (strcmp(word, "lost") == 0) {
            char *v = strtok_r(NULL, " \t\r\n", &save);
            int i = v ? atoi(v) : -1;
            if (i >= 0 && i < MAX_GPUS) s->gpus[i].lost = 1;
        } else if (strcmp(word, "xid") == 0 && s->xid_count < MAX_XIDS) {
            char *g = strtok_r(NULL, " \t\r\n", &save), *c = strtok_r(NULL, " \t\r\n", &save);
            if (g && c) {
                s->xid_gpu[s->xid_count] = atoi(g);
                s->xid_code[s->xid_count++] = strtoull(c, NULL, 10);
            }
        } else if (strcmp(word, "gpu") == 0) {
            gpu_t g;
            memset(&g, 0, sizeof g);
            int index = -1;
            for (char *kv = strtok_r(NULL, " \t\r\n", &save); kv; kv = strtok_r(NULL, " \t\r\n", &save)) {
                char *eq = strchr(kv, '=');
                if (!eq) continue;
                *eq = 0;
                const char *k = kv, *v = eq + 1;
                if (!strcmp(k, "index")) index = atoi(v);
                else if (!strcmp(k, "name")) { snprintf(g.name, sizeof g.name, "%s", v); for (char *p = g.name; *p; p++) if (*p == '_') *p = ' '; }
                else if (!strcmp(k, "uuid")) snprintf(g.uuid, sizeof g.uuid, "%s", v);
                else if (!strcmp(k, "mem_total")) g.mem_total = strtoull(v, NULL, 10);
                else if (!strcmp(k, "mem_used")) g.mem_used = strtoull(v, NULL, 10);
                else if (!strcmp(k, "util")) g.util = (unsigned)atoi(v);
                else if (!strcmp(k, "temp")) g.temp = (unsigned)atoi(v);
                else if (!strcmp(k, "power")) g.power = (unsigned)atoi(v);
                else if (!strcmp(k, "ecc")) g.ecc = strtoull(v, NULL, 10);
                else if (!strcmp(k, "reasons")) g.reasons = strtoull(v, NULL, 0);
            }
            if (index >= 0 && index < MAX_GPUS) {
                int lost = s->gpus[index].lost;
                s->gpus[index] = g;
                s->gpus[index].present = 1;
                s->gpus[index].lost = lost;
                if (index + 1 > s->count) s->count = index + 1;
            }
        }
    }
    fclose(f);
}

static int device(void *handle, script_t *s, gpu_t **g) {
    if (!initialized) return NVML_ERROR_UNINITIALIZED;
    load(s);
    long i = (long)(size_t)handle - 1;
    if (i < 0 || i >= s->count || !s->gpus[i].present) return NVML_ERROR_INVALID_ARGUMENT;
    if (s->gpus[i].lost) return NVML_ERROR_GPU_IS_LOST;
    *g = &s->gpus[i];
    return NVML_SUCCESS;
}

int nvmlInit_v2(void) {
    script_t s;
    load(&s);
    if (s.init_fail) return s.init_fail;
    initialized = 1;
    return NVML_SUCCESS;
}

int nvmlShutdown(void) { initialized = 0; return NVML_SUCCESS; }

int nvmlDeviceGetCount_v2(unsigned int *count) {
    if (!initialized) return NVML_ERROR_UNINITIALIZED;
    script_t s;
    load(&s);
    *count = (unsigned)s.count;
    return NVML_SUCCESS;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, void **handle) {
    if (!initialized) return NVML_ERROR_UNINITIALIZED;
    script_t s;
    load(&s);
    if ((int)index >= s.count) return NVML_ERROR_INVALID_ARGUMENT;
    *handle = (void *)(size_t)(index + 1);
    return NVML_SUCCESS;
}

static int copy(char *dst, unsigned int length, const char *src) {
    if (strlen(src) + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
    strcpy(dst, src);
    return NVML_SUCCESS;
}

int nvmlDeviceGetName(void *h, char *name, unsigned int length) {
    script_t s; gpu_t *g; int r = device(h, &s, &g);
    return r ? r : copy(name, length, g->name);
}

int nvmlDeviceGetUUID(void *h, char *uuid, unsigned int length) {
    script_t s; gpu_t *g; int r = device(h, &s, &g);
    return r ? r : copy(uuid, length, g->uuid);
}

int nvmlDeviceGetMemoryInfo(void *h, nvmlMemory_t *m) {
    script_t s; gpu_t *g; int r = device(h, &s, &g);
    if (r) return r;
    m->total = g->mem_total; m->used = g->mem_used; m->free = g->mem_total - g->mem_used;
    return NVML_SUCCESS;
}

int nvmlDeviceGetUtilizationRates(void *h, nvmlUtilization_t *u) {
    script_t s; gpu_t *g; int r = device(h, &s, &g);
    if (r) return r;
    u->gpu = g->util; u->memory = g->util / 2;
    return NVML_SUCCESS;
}

int nvmlDeviceGetTemperature(void *h, int sensor, unsigned int *t) {
    script_t s; gpu_t *g; int r = device(h, &s, &g);
    if (r) return r;
    if (sensor != 0) return NVML_ERROR_INVALID_ARGUMENT;
    *t = g->temp;
    return NVML_SUCCESS;
}

int nvmlDeviceGetPowerUsage(void *h, unsigned int *p) {
    script_t s; gpu_t *g; int r = device(h, &s, &g);
    if (r) return r;
    *p = g->power;
    return NVML_SUCCESS;
}

int nvmlDeviceGetTotalEccErrors(void *h, int errorType, int counterType, unsigned long long *count) {
    script_t s; gpu_t *g; int r = device(h, &s, &g);
    if (r) return r;
    *count = (errorType == 1 && counterType == 0) ? g->ecc : 0;
    return NVML_SUCCESS;
}

int nvmlDeviceGetCurrentClocksEventReasons(void *h, unsigned long long *reasons) {
    script_t s; gpu_t *g; int r = device(h, &s, &g);
    if (r) return r;
    *reasons = g->reasons;
    return NVML_SUCCESS;
}

int nvmlEventSetCreate(void **set) { *set = (void *)(size_t)0xE7; return initialized ? NVML_SUCCESS : NVML_ERROR_UNINITIALIZED; }

int nvmlDeviceRegisterEvents(void *h, unsigned long long types, void *set) { (void)h; (void)types; (void)set; return NVML_SUCCESS; }

int nvmlEventSetWait_v2(void *set, nvmlEventData_t *data, unsigned int timeoutms) {
    (void)set;
    struct timespec step = {0, 50 * 1000 * 1000};
    for (unsigned int waited = 0;; waited += 50) {
        script_t s;
        load(&s);
        if (xids_delivered < s.xid_count) {
            data->device = (void *)(size_t)(s.xid_gpu[xids_delivered] + 1);
            data->eventType = 0x8; /* nvmlEventTypeXidCriticalError */
            data->eventData = s.xid_code[xids_delivered];
            data->gpuInstanceId = data->computeInstanceId = 0xFFFFFFFF;
            xids_delivered++;
            return NVML_SUCCESS;
        }
        if (waited >= timeoutms) return NVML_ERROR_TIMEOUT;
        nanosleep(&step, NULL);
    }
}

int nvmlEventSetFree(void *set) { (void)set; return NVML_SUCCESS; }
