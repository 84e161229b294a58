/** @file
 * nn_factory.h — helpers that build common networks (MXNet.jl's
 * nn-factory.jl). */
#ifndef MX_NN_FACTORY_H
#define MX_NN_FACTORY_H

#include "mx/symbol.h"

/** MXNet.jl's mx.MLP(input, spec; hidden_activation, prefix): n_layers
 * FullyConnected layers named `<prefix>fc<i>` (i from 1) with num_hidden[i-1]
 * units, each but the last followed by an Activation named
 * `<prefix><act><i>` ("relu1"). hidden_activation NULL means "relu";
 * prefix NULL means "" (MXNet.jl's default is a gensym). The input is not
 * consumed; the caller frees the result. */
mx_sym *mx_mlp(mx_sym *input, int n_layers, const int *num_hidden, const char *hidden_activation,
               const char *prefix);

#endif
