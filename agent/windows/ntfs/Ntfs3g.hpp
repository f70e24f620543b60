#pragma once
// libntfs-3g's headers expect what its own config.h would have included first, and define min
// and max macros that break the C++ standard library. Include them only through this file.

#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

extern "C" {
#include <ntfs-3g/types.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/device.h>
#include <ntfs-3g/volume.h>
}

#undef min
#undef max
