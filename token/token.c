#include "config.h"

#include <string.h>

#include "token.h"

static const struct token_ops *const tokens[] = {
	&token_gpg_ops,
	&token_card_ops,
	&token_fido2_ops,
};

const struct token_ops *
token_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
		if (strcmp(tokens[i]->name, name) == 0)
			return tokens[i];
	return NULL;
}

const char *
token_names(void)
{
	return "gpg, card, fido2";
}
