#ifndef SYSADD_H
#define SYSADD_H
#define SYSADD_VERSION "1.2.3"
int sysadd_add(int a, int b);
int sysadd_mul(int a, int b);
#endif
