/* fuzz_symjson.c — libFuzzer target for symbol JSON: the strict JSON
 * reader (mx_json_parse) and the graph loader on top of it
 * (mx_sym_from_json). `-symbol.json` files come from users and from
 * MXNet, so malformed text, bad node references, unknown ops and
 * adversarial parameters must all fail with a message. A graph that
 * loads is then used the way a user would: listed, shape-inferred from a
 * fixed data shape, drawn as DOT, and written back to JSON, which must
 * load again and write identically (what mxrt saves, mxrt must load). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_sym.h"
#include "formats/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char err[256];
    mx_json_free(mx_json_parse(text, err, sizeof err));
    mx_sym *sym = mx_sym_from_json(text, "fuzz-symbol.json");
    if (sym) {
        /* MNIST-shaped data for the first argument, as the apps bind it */
        mx_shape shape = mx_shape_make(4, 2, 1, 28, 28);
        fuzz_use_symbol(sym, NULL, &shape);
        fuzz_check_round_trip(sym);
        mx_sym_free(sym);
    }
    free(text);
    return 0;
}
