#pragma once
/// \file
/// Block coordinate descent: the driver and every partition, selection and update policy.
/// See docs/bcd.md.

#include "bcd/any_policy.hpp"
#include "bcd/block_coordinate_descent.hpp"
#include "bcd/context.hpp"
#include "bcd/forest.hpp"
#include "bcd/message_passing.hpp"
#include "bcd/partitions.hpp"
#include "bcd/proximal.hpp"
#include "bcd/selection.hpp"
#include "bcd/updates.hpp"
