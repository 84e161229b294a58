/* nn_factory.c — network builders from MXNet.jl's nn-factory.jl. Names
 * follow MXNet.jl exactly, so checkpoints line up with its models:
 * <prefix>fc1, <prefix>relu1, ..., the last layer without activation. */
#include "mx/nn_factory.h"

#include <stdio.h>
#include <string.h>

/* Node names go through "key=value" text: no separators allowed in them. */
static int plain_word(const char *s)
{
    return strcspn(s, " \t\r\n,=()[]") == strlen(s);
}

mx_sym *mx_mlp(mx_sym *input, int n_layers, const int *num_hidden, const char *hidden_activation,
               const char *prefix)
{
    const char *act = hidden_activation ? hidden_activation : "relu";
    const char *pre = prefix ? prefix : "";
    if (!input || n_layers < 1 || !num_hidden) {
        mx_set_error(MX_EINVAL, "mx_mlp: needs an input and at least one layer size");
        return NULL;
    }
    if (!*act || !plain_word(act) || !plain_word(pre)) {
        mx_set_error(MX_EINVAL, "mx_mlp: activation '%s' and prefix '%s' must be plain words", act, pre);
        return NULL;
    }
    mx_sym *cur = mx_sym_copy(input);
    char params[512];
    for (int i = 1; cur && i <= n_layers; i++) {
        if (snprintf(params, sizeof params, "name=%sfc%d num_hidden=%d", pre, i, num_hidden[i - 1]) >=
            (int)sizeof params) {
            mx_set_error(MX_EINVAL, "mx_mlp: prefix '%s' too long", pre);
            mx_sym_free(cur);
            return NULL;
        }
        mx_sym *fc = mx_op("FullyConnected", params, cur);
        mx_sym_free(cur);
        cur = fc;
        if (!cur || i == n_layers) break;
        snprintf(params, sizeof params, "name=%s%s%d act_type=%s", pre, act, i, act);
        mx_sym *a = mx_op("Activation", params, cur);
        mx_sym_free(cur);
        cur = a;
    }
    return cur;
}
