/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `cognito-reconcile completion bash|zsh|fish`: prints the shell completion script, generated
 * from the subcommand table (main.c) and the option table (options.c), so a new option or
 * subcommand completes without anyone editing a script. The installed scripts are this output,
 * produced at build time (cmake/Install.cmake).
 *
 * What an option's value completes to follows from its table row: a FORMAT (--output) to the
 * formats the parser accepts for that subcommand (asked from the parser itself), FILE or PATH
 * to file names, DIR to folders, REV to git branches and tags; any other value to nothing.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cognito-reconcile/cmd.h"
#include "cr_version.h"

#define S_PROG "cognito-reconcile"

enum s_value { S_V_FLAG, S_V_TEXT, S_V_FILE, S_V_DIR, S_V_REV, S_V_OUTPUT };

/* One subcommand as the scripts see it. */
struct s_cmd {
    const char *name;
    const char *summary;
    unsigned verb;     /* enum cr_cli_verb; 0 when the command has no options in the table */
    bool paths;        /* takes manifest files or folders as arguments */
    char outputs[128]; /* the --output values the parser accepts for verb, space-separated */
};

static const char *const s_shells[] = {"bash", "zsh", "fish"};

static unsigned s_verb_named(const char *name)
{
    for (unsigned bit = 1; bit != 0; bit <<= 1)
        if (strcmp(cr_cli_verb_name((enum cr_cli_verb)bit), name) == 0)
            return bit;
    return 0;
}

/* The parser is the one place that says which formats a verb takes: ask it. */
static bool s_output_accepted(unsigned verb, const char *option, const char *format)
{
    char *argv[] = {(char *)"completion", (char *)option, (char *)format, NULL};
    struct cr_cli_options opts;
    cr_cli_options_init(&opts, (enum cr_cli_verb)verb);
    int rc = cr_cli_options_parse(&opts, 3, argv);
    cr_cli_options_dispose(&opts);
    return rc == 0;
}

static void s_fill_outputs(struct s_cmd *cmd)
{
    cmd->outputs[0] = '\0';
    for (size_t i = 0; i < cr_cli_option_count(); i++) {
        struct cr_cli_option_info opt;
        cr_cli_option_get(&opt, i);
        if (!opt.is_output || !(opt.verbs & cmd->verb))
            continue;
        for (int f = 0; strcmp(cr_cli_output_name((enum cr_cli_output)f), "?") != 0; f++) {
            const char *format = cr_cli_output_name((enum cr_cli_output)f);
            if (!s_output_accepted(cmd->verb, opt.name, format))
                continue;
            size_t len = strlen(cmd->outputs);
            snprintf(cmd->outputs + len, sizeof(cmd->outputs) - len, "%s%s", len ? " " : "",
                     format);
        }
    }
}

/* The commands, with what each takes. Returns how many were filled (at most max). */
static size_t s_commands(struct s_cmd *out, size_t max)
{
    size_t n_table = 0;
    const struct cr_command *table = cr_cmd_table(&n_table);
    size_t n = 0;
    for (size_t i = 0; i < n_table && n < max; i++) {
        struct s_cmd *cmd = &out[n++];
        cmd->name = table[i].name;
        cmd->summary = table[i].summary;
        cmd->verb = s_verb_named(table[i].name);
        /* export reads pools, force-unlock takes a lease id, not manifests; commands outside
         * the table take no paths. */
        cmd->paths = cmd->verb != 0 && cmd->verb != CR_CLI_EXPORT && cmd->verb != CR_CLI_FORCE_UNLOCK;
        s_fill_outputs(cmd);
    }
    return n;
}

static enum s_value s_value_of(const struct cr_cli_option_info *opt)
{
    if (opt->metavar == NULL)
        return S_V_FLAG;
    if (opt->is_output)
        return S_V_OUTPUT;
    if (strcmp(opt->metavar, "FILE") == 0 || strcmp(opt->metavar, "PATH") == 0)
        return S_V_FILE;
    if (strcmp(opt->metavar, "DIR") == 0)
        return S_V_DIR;
    if (strcmp(opt->metavar, "REV") == 0)
        return S_V_REV;
    return S_V_TEXT;
}

/* What an option's value completes to, in each shell's syntax: printf formats indexed by
 * enum s_value. bash and fish formats take the subcommand's --output formats; zsh's take the
 * metavar, then the formats (C ignores surplus arguments). */
static const char *const s_bash_values[] = {
    [S_V_FLAG] = "COMPREPLY=()",
    [S_V_TEXT] = "COMPREPLY=()",
    [S_V_FILE] = "_cognito_reconcile_files -f",
    [S_V_DIR] = "_cognito_reconcile_files -d",
    [S_V_REV] = "_cognito_reconcile_words \"$(_cognito_reconcile_refs)\"",
    [S_V_OUTPUT] = "_cognito_reconcile_words '%s'",
};
static const char *const s_zsh_values[] = {
    [S_V_FLAG] = "",
    [S_V_TEXT] = ":%s: ",
    [S_V_FILE] = ":%s:_files",
    [S_V_DIR] = ":%s:_files -/",
    [S_V_REV] = ":%s:_cognito_reconcile_refs",
    [S_V_OUTPUT] = ":%s:(%s)",
};
static const char *const s_fish_values[] = {
    [S_V_FLAG] = "",
    [S_V_TEXT] = " -x",
    [S_V_FILE] = " -r -F",
    [S_V_DIR] = " -x -a '(__fish_complete_directories)'",
    [S_V_REV] = " -x -a '(__cognito_reconcile_refs)'",
    [S_V_OUTPUT] = " -x -a '%s'",
};

/* The first clause of a help text ("...; later entries win" -> "..."), quoted for shell
 * single quotes the way `style` says: 'z' for zsh _arguments (also \[ \] and \:), 'f' for fish
 * (\' and \\), 's' for plain sh single quotes. */
static void s_put_help(FILE *fp, const char *help, char style)
{
    size_t len = strcspn(help, ";");
    for (size_t i = 0; i < len; i++) {
        char c = help[i];
        if (c == '\'' && style == 'f')
            fputs("\\'", fp);
        else if (c == '\'')
            fputs("'\\''", fp);
        else if (c == '\\' && style == 'f')
            fputs("\\\\", fp);
        else if (style == 'z' && (c == '[' || c == ']' || c == ':' || c == '\\'))
            fprintf(fp, "\\%c", c);
        else
            fputc(c, fp);
    }
}

static void s_header(FILE *fp, const char *shell, const char *comment, const char *load)
{
    fprintf(fp,
            "%s SPDX-License-Identifier: Apache-2.0\n"
            "%s %s completion for " S_PROG " %s, generated from its option table by\n"
            "%s '" S_PROG " completion %s': do not edit, regenerate.\n"
            "%s Load it now: %s\n",
            comment, comment, shell, CR_VERSION, comment, shell, comment, load);
}

/* ---- bash ---- */

static void s_bash_value(FILE *fp, const struct s_cmd *cmd, const struct cr_cli_option_info *opt)
{
    fprintf(fp, "        %s:%s) ", cmd->name, opt->name);
    fprintf(fp, s_bash_values[s_value_of(opt)], cmd->outputs);
    fputs(" ;;\n", fp);
}

static void s_bash(FILE *fp, const struct s_cmd *cmds, size_t n)
{
    s_header(fp, "bash", "#", "source <(" S_PROG " completion bash)");
    fputs("_cognito_reconcile_words() {\n"
          "    local IFS=$' \\t\\n'\n"
          "    COMPREPLY=($(compgen -W \"$1\" -- \"$cur\"))\n"
          "}\n"
          "_cognito_reconcile_files() {\n"
          "    local IFS=$'\\n'\n"
          "    compopt -o filenames 2>/dev/null\n"
          "    COMPREPLY=($(compgen \"$1\" -- \"$cur\"))\n"
          "}\n"
          "_cognito_reconcile_refs() {\n"
          "    git for-each-ref --format='%(refname:short)' refs/heads refs/tags refs/remotes "
          "2>/dev/null\n"
          "    echo HEAD\n"
          "}\n"
          "_cognito_reconcile() {\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} prev= cmd=${COMP_WORDS[1]:-} i opts= paths=0\n"
          "    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
          "    # --opt=VALUE: readline splits the word at '=' (COMP_WORDBREAKS).\n"
          "    if [[ $cur == = ]]; then\n"
          "        cur=\n"
          "    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then\n"
          "        prev=${COMP_WORDS[COMP_CWORD - 2]}\n"
          "    fi\n"
          "    COMPREPLY=()\n"
          "    if ((COMP_CWORD == 1)); then\n"
          "        _cognito_reconcile_words '",
          fp);
    for (size_t i = 0; i < n; i++)
        fprintf(fp, "%s ", cmds[i].name);
    fputs("help --help --version'\n"
          "        return 0\n"
          "    fi\n"
          "    case $cmd in\n",
          fp);
    for (size_t i = 0; i < n; i++) {
        fprintf(fp, "    %s) opts='", cmds[i].name);
        for (size_t o = 0, first = 1; o < cr_cli_option_count(); o++) {
            struct cr_cli_option_info opt;
            cr_cli_option_get(&opt, o);
            if (cmds[i].verb & opt.verbs) {
                fprintf(fp, "%s%s", first ? "" : " ", opt.name);
                first = 0;
            }
        }
        if (cmds[i].verb == 0) /* completion: its one argument is a shell */
            fprintf(fp, "--help'; [[ $cur == -* ]] || opts='%s'; ((COMP_CWORD == 2)) && "
                        "_cognito_reconcile_words \"$opts\"; return 0 ;;\n",
                    strcmp(cmds[i].name, "completion") == 0 ? "bash zsh fish" : "");
        else
            fprintf(fp, "' paths=%d ;;\n", cmds[i].paths ? 1 : 0);
    }
    fputs("    *) return 0 ;;\n"
          "    esac\n"
          "    # after --, every word is a path\n"
          "    for ((i = 2; i < COMP_CWORD; i++)); do\n"
          "        if [[ ${COMP_WORDS[i]} == -- ]]; then\n"
          "            ((paths)) && _cognito_reconcile_files -f\n"
          "            return 0\n"
          "        fi\n"
          "    done\n"
          "    case $cmd:$prev in\n",
          fp);
    for (size_t i = 0; i < n; i++)
        for (size_t o = 0; o < cr_cli_option_count(); o++) {
            struct cr_cli_option_info opt;
            cr_cli_option_get(&opt, o);
            if ((cmds[i].verb & opt.verbs) && opt.metavar != NULL)
                s_bash_value(fp, &cmds[i], &opt);
        }
    fputs("    *)\n"
          "        if [[ $cur == -* ]] || ((!paths)); then\n"
          "            _cognito_reconcile_words \"$opts\"\n"
          "        else\n"
          "            _cognito_reconcile_files -f\n"
          "        fi\n"
          "        ;;\n"
          "    esac\n"
          "    return 0\n"
          "}\n"
          "complete -F _cognito_reconcile " S_PROG "\n",
          fp);
}

/* ---- zsh ---- */

static void s_zsh_option(FILE *fp, const struct s_cmd *cmd, const struct cr_cli_option_info *opt)
{
    fprintf(fp, "        '%s%s%s[", opt->repeatable ? "*" : "", opt->name, opt->metavar ? "=" : "");
    s_put_help(fp, opt->help, 'z');
    fputc(']', fp);
    if (opt->metavar != NULL) /* every format takes (metavar, outputs) */
        fprintf(fp, s_zsh_values[s_value_of(opt)], opt->metavar, cmd->outputs);
    fputs("' \\\n", fp);
}

static void s_zsh(FILE *fp, const struct s_cmd *cmds, size_t n)
{
    fputs("#compdef " S_PROG "\n", fp);
    s_header(fp, "zsh", "#",
             "source <(" S_PROG " completion zsh)   (after compinit); or install it as\n"
             "# _" S_PROG " in a folder of $fpath.");
    fputs("_cognito_reconcile_refs() {\n"
          "    local -a refs\n"
          "    refs=(HEAD ${(f)\"$(git for-each-ref --format='%(refname:short)' refs/heads "
          "refs/tags refs/remotes 2>/dev/null)\"})\n"
          "    _describe -t revisions 'git revision' refs\n"
          "}\n"
          "_cognito_reconcile() {\n"
          "    local ret=1\n"
          "    if ((CURRENT == 2)); then\n"
          "        local -a commands\n"
          "        commands=(\n",
          fp);
    for (size_t i = 0; i < n; i++) {
        fprintf(fp, "            '%s:", cmds[i].name);
        s_put_help(fp, cmds[i].summary, 'z');
        fputs("'\n", fp);
    }
    fputs("        )\n"
          "        if [[ $PREFIX == -* ]]; then\n"
          "            _arguments '--help[show the usage]' '--version[show the version]' && "
          "ret=0\n"
          "        else\n"
          "            _describe -t commands '" S_PROG " command' commands && ret=0\n"
          "        fi\n"
          "        return ret\n"
          "    fi\n"
          "    local cmd=$words[2]\n"
          "    shift words\n"
          "    ((CURRENT--))\n"
          "    curcontext=\"${curcontext%:*:*}:" S_PROG "-$cmd:\"\n"
          "    case $cmd in\n",
          fp);
    for (size_t i = 0; i < n; i++) {
        fprintf(fp, "    %s)\n        _arguments -S \\\n", cmds[i].name);
        for (size_t o = 0; o < cr_cli_option_count(); o++) {
            struct cr_cli_option_info opt;
            cr_cli_option_get(&opt, o);
            if (cmds[i].verb & opt.verbs)
                s_zsh_option(fp, &cmds[i], &opt);
        }
        if (cmds[i].paths)
            fputs("        '*:manifest file or folder:_files' \\\n", fp);
        else if (strcmp(cmds[i].name, "completion") == 0)
            fputs("        '--help[show the usage]' '1:shell:(bash zsh fish)' \\\n", fp);
        fputs("            && ret=0\n        ;;\n", fp);
    }
    fputs("    esac\n"
          "    return ret\n"
          "}\n"
          "# Autoloaded from $fpath this file is the body of _" S_PROG
          "; sourced, it registers itself.\n"
          "if [[ $funcstack[1] == _" S_PROG " ]]; then\n"
          "    _cognito_reconcile \"$@\"\n"
          "else\n"
          "    compdef _cognito_reconcile " S_PROG "\n"
          "fi\n",
          fp);
}

/* ---- fish ---- */

static void s_fish_option(FILE *fp, const struct s_cmd *cmd, const struct cr_cli_option_info *opt)
{
    fprintf(fp, "complete -c " S_PROG " -n '__cognito_reconcile_using %s' -l %s", cmd->name,
            opt->name + 2);
    fprintf(fp, s_fish_values[s_value_of(opt)], cmd->outputs);
    fputs(" -d '", fp);
    s_put_help(fp, opt->help, 'f');
    fputs("'\n", fp);
}

static void s_fish(FILE *fp, const struct s_cmd *cmds, size_t n)
{
    s_header(fp, "fish", "#", S_PROG " completion fish | source");
    fputs("function __cognito_reconcile_needs_command\n"
          "    test (count (commandline -opc)) -eq 1\n"
          "end\n"
          "function __cognito_reconcile_using\n"
          "    set -l words (commandline -opc)\n"
          "    test (count $words) -ge 2; and contains -- $words[2] $argv\n"
          "end\n"
          "function __cognito_reconcile_refs\n"
          "    git for-each-ref --format='%(refname:short)' refs/heads refs/tags refs/remotes "
          "2>/dev/null\n"
          "    echo HEAD\n"
          "end\n"
          "complete -c " S_PROG " -f\n"
          "complete -c " S_PROG " -n __cognito_reconcile_needs_command -l help -d 'show the "
          "usage'\n"
          "complete -c " S_PROG " -n __cognito_reconcile_needs_command -l version -d 'show the "
          "version'\n",
          fp);
    for (size_t i = 0; i < n; i++) {
        fprintf(fp, "complete -c " S_PROG " -n __cognito_reconcile_needs_command -a %s -d '",
                cmds[i].name);
        s_put_help(fp, cmds[i].summary, 'f');
        fputs("'\n", fp);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t o = 0; o < cr_cli_option_count(); o++) {
            struct cr_cli_option_info opt;
            cr_cli_option_get(&opt, o);
            if (cmds[i].verb & opt.verbs)
                s_fish_option(fp, &cmds[i], &opt);
        }
        if (cmds[i].paths)
            fprintf(fp, "complete -c " S_PROG " -n '__cognito_reconcile_using %s' -F\n",
                    cmds[i].name);
        else if (strcmp(cmds[i].name, "completion") == 0)
            fputs("complete -c " S_PROG " -n '__cognito_reconcile_using completion' -x -a "
                  "'bash zsh fish'\n",
                  fp);
    }
}

static void s_usage(FILE *fp)
{
    fputs("usage: " S_PROG " completion bash|zsh|fish\n\n"
          "Prints the completion script for the shell (subcommands, options, --output values,\n"
          "file names for PATH and FILE arguments, git revisions for REV). Load it with\n"
          "  bash: source <(" S_PROG " completion bash)\n"
          "  zsh:  source <(" S_PROG " completion zsh)   (after compinit)\n"
          "  fish: " S_PROG " completion fish | source\n"
          "The installed package puts them where each shell finds them by itself.\n\n"
          "options:\n"
          "  --help                 show this help\n",
          fp);
}

int cr_cmd_completion(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        s_usage(stdout);
        return CR_EXIT_OK;
    }
    size_t shell = sizeof(s_shells) / sizeof(s_shells[0]);
    for (size_t i = 0; argc == 2 && i < sizeof(s_shells) / sizeof(s_shells[0]); i++)
        if (strcmp(argv[1], s_shells[i]) == 0)
            shell = i;
    if (shell == sizeof(s_shells) / sizeof(s_shells[0])) {
        int rc = argc == 2 ? cr_cli_failf("completion: unknown shell '%s' (expected bash, zsh or "
                                          "fish)",
                                          argv[1])
                           : cr_cli_failf("completion: name one shell: bash, zsh or fish");
        s_usage(stderr);
        return rc;
    }
    struct s_cmd cmds[32];
    size_t n = s_commands(cmds, sizeof(cmds) / sizeof(cmds[0]));
    if (shell == 0)
        s_bash(stdout, cmds, n);
    else if (shell == 1)
        s_zsh(stdout, cmds, n);
    else
        s_fish(stdout, cmds, n);
    if (fflush(stdout) != 0 || ferror(stdout))
        return cr_cli_failf("completion: cannot write the script to stdout");
    return CR_EXIT_OK;
}
