// `esx demo`: the README's main job (see demo.cpp).
#ifndef ESX_EXAMPLES_CLI_DEMO_HPP
#define ESX_EXAMPLES_CLI_DEMO_HPP

int demo();

#endif
