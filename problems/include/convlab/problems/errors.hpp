#pragma once
/// \file
/// Kept for code written before the core component: the error types live in
/// <convlab/core/errors.hpp> (docs/architecture.md).
#include <convlab/core/errors.hpp>
