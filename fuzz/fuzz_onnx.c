/* fuzz_onnx.c — libFuzzer target for ONNX models (issue #17): protobuf-c's
 * decoder, the tensor and attribute checks of onnx/onnx_read.c, constant
 * folding and every converter of the importer. ONNX files come from
 * users and from other tools, so a corrupt, truncated or adversarial
 * model (bad dims, raw_data of the wrong length, attributes of the wrong
 * type, dangling names, shapes that do not agree) must fail with a
 * message. A model that imports (its shapes inferred node by node on
 * the way) is written as symbol JSON, which must load back. */
#include <stdint.h>
#include <stdlib.h>

#include "mx/symbol_json.h"
#include "onnx/onnx_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Onnx__ModelProto *m = ox_model_unpack(data, size, "fuzz.onnx");
    if (!m) return 0;
    mx_sym *sym;
    mx_nd_list params;
    if (ox_import_model(m, "fuzz.onnx", 0, NULL, NULL, &sym, &params) == MX_OK) {
        char *json = mx_sym_to_json(sym);
        mx_sym *back = json ? mx_sym_from_json(json, "fuzz-symbol.json") : NULL;
        if (json && !back) abort(); /* what the importer builds, mxrt must load */
        mx_sym_free(back);
        free(json);
        mx_sym_free(sym);
        mx_nd_list_free(&params);
    }
    ox_model_free(m);
    return 0;
}
