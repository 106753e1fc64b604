# Shared by the referee-mpi tests: source after lib.sh.  Skips the whole
# test (with the reason) where referee-mpi is not built or mpirun is
# missing; otherwise sets what OpenMPI needs in a container (run as root,
# more ranks than cores, no cross-memory attach) and defines mpi NP ARGS...
MPIBIN=$(dirname "$REFEREE")/referee-mpi
if [ ! -x "$MPIBIN" ] || ! command -v mpirun > /dev/null; then
  skip "referee-mpi" "MPI not available (build with make MPI=1; Debian: libopenmpi-dev openmpi-bin)"
  done_testing
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
# Under AddressSanitizer: OpenMPI's own plugins leak at exit (frames in
# unloaded modules LeakSanitizer cannot name or suppress), so leak checking
# is off for the ranks; every other ASan/UBSan check stays on, and the
# library code the ranks run is leak-checked by the one-process tests.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
mpi() { local np=$1; shift; timeout 300 mpirun -np "$np" --oversubscribe "$MPIBIN" "$@"; }
