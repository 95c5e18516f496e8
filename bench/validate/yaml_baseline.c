/* SPDX-License-Identifier: Apache-2.0 */
/* Baseline for bench/validate: read every file and run libyaml's parser over it, events
 * only, building nothing. `validate` does this plus the tree, the model and every check, so
 * the ratio of the two says what the checking costs. usage: bench_yaml_baseline FILE... */
#include <stdio.h>
#include <stdlib.h>
#include <yaml.h>

static long s_events(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    long n = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            fprintf(stderr, "%s: %s\n", path, parser.problem ? parser.problem : "error");
            n = -1;
            break;
        }
        int done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        n++;
        if (done)
            break;
    }
    yaml_parser_delete(&parser);
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    long total = 0;
    for (int i = 1; i < argc; i++) {
        long n = s_events(argv[i]);
        if (n < 0)
            return 1;
        total += n;
    }
    printf("%ld YAML events in %d files\n", total, argc - 1);
    return 0;
}
