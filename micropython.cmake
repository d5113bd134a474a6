# Entry for cmake-based ports: USER_C_MODULES=<repo>/micropython.cmake
include(${CMAKE_CURRENT_LIST_DIR}/cmodule/umqtt/micropython.cmake)
