// Boost.Beast compiled once for the test support library
// (BOOST_BEAST_SEPARATE_COMPILATION is set on the target).
#include <boost/beast/src.hpp>
