/* cognito-identity-local: entry point (replaced by the emulator work). */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "cognito-identity-local: being built\n");
    return 1;
}
