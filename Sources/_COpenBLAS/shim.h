// CBLAS from OpenBLAS, plus the LAPACK routine Debian's OpenBLAS exports without a header.
#include <cblas.h>

// Symmetric eigendecomposition, divide and conquer (LAPACK dsyevd, Fortran calling convention).
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info);
